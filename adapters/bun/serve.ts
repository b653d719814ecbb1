import { createApp } from '../../src/app.js'
import type { Config } from '../../src/config.js'
import { isLoopback } from '../../src/config.js'
import { loadPipeline } from '../node/pipeline-file.js'
import type { RunningServer } from '../node/server.js'
import { createDeps } from './deps.js'

/** Validates the pipeline file, then serves the app with Bun.serve. Same contract as the Node `serve`. */
export async function serve(config: Config, log: (line: string) => void = console.log): Promise<RunningServer> {
  const deps = createDeps(config)
  const pipeline = await loadPipeline(deps.pipelineFile)
  const app = createApp(deps)
  // Bun closes connections idle for 10 s by default; the log stream's heartbeat comes every 15 s.
  const server = Bun.serve({ fetch: app.fetch, port: config.port, hostname: config.host, idleTimeout: 120 })
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  const url = `http://${host}:${server.port}`
  log(`pipeline-cron listening on ${url} (runtime: bun; pipeline: ${deps.pipelineFile}, ${pipeline.steps.length} steps; state: ${config.stateDir})`)
  if (!isLoopback(config.host) && !config.token) {
    log(`WARNING: listening on ${config.host} without a token: anyone who can reach this port can run the pipeline. Set --token or CRON_API_TOKEN.`)
  }
  return { url, port: server.port, close: () => server.stop(true) }
}
