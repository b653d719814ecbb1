/**
 * What the Node and Bun servers do alike at start-up: check every pipeline file, connect to the
 * daemon (or resume what was running), build the app, and say where it listens.
 */
import { createApp } from '../../src/app.js'
import type { Config } from '../../src/config.js'
import { isLoopback } from '../../src/config.js'
import type { PipelineDefinition } from '../../src/control/catalog.js'
import { counted } from '../../src/plural.js'
import type { LocalDeps } from './local-deps.js'

export interface Prepared {
  app: ReturnType<typeof createApp>
  deps: LocalDeps
  /** The start-up lines: where it listens, what it serves, and any warning. */
  banner(url: string, runtime: string): string[]
}

export async function prepareServer(config: Config, deps: LocalDeps): Promise<Prepared> {
  const definitions = await deps.init()
  const app = createApp(deps)
  return {
    app,
    deps,
    banner(url, runtime) {
      const lines = [`pipeline-cron listening on ${url} (runtime: ${runtime}; ${describePipelines(definitions)}; state: ${config.stateDir})`, `dashboard: ${url}/`]
      if (!isLoopback(config.host) && !config.token) {
        lines.push(`WARNING: listening on ${config.host} without a token: anyone who can reach this port can run the pipeline. Set --token or CRON_API_TOKEN.`)
      }
      const broken = definitions.filter((d) => d.error)
      for (const d of broken) lines.push(`WARNING: ${d.error}`)
      return lines
    },
  }
}

function describePipelines(definitions: PipelineDefinition[]): string {
  if (definitions.length === 1) {
    const [only] = definitions
    return `pipeline: ${only!.file}, ${counted(only!.steps ?? 0, 'step')}`
  }
  if (definitions.length === 0) return 'no pipelines yet: add <name>.json files to the --pipelines folder'
  return `${definitions.length} pipelines: ${definitions.map((d) => d.name).join(', ')}`
}

/** The URL host part: IPv6 addresses in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}
