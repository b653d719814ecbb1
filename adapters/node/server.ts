import { serve as nodeServe } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { createApp } from '../../src/app.js'
import type { Config } from '../../src/config.js'
import { isLoopback } from '../../src/config.js'
import { createDeps } from './deps.js'
import { loadPipeline } from './pipeline-file.js'

export interface RunningServer {
  url: string
  port: number
  close(): Promise<void>
}

/**
 * Validates the pipeline file, then serves the app. Throws a ConfigError (one line) for a bad
 * pipeline file, and the listen error for a port that cannot be bound.
 */
export async function serve(config: Config, log: (line: string) => void = console.log): Promise<RunningServer> {
  const deps = createDeps(config)
  const pipeline = await loadPipeline(deps.pipelineFile)
  const app = createApp(deps)
  const server = nodeServe({ fetch: app.fetch, port: config.port, hostname: config.host })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  const url = `http://${host}:${port}`
  log(`pipeline-cron listening on ${url} (pipeline: ${deps.pipelineFile}, ${pipeline.steps.length} steps; state: ${config.stateDir})`)
  if (!isLoopback(config.host) && !config.token) {
    log(`WARNING: listening on ${config.host} without a token: anyone who can reach this port can run the pipeline. Set --token or CRON_API_TOKEN.`)
  }
  return {
    url,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
