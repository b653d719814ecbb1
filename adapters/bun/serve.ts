import type { Config } from '../../src/config.js'
import { ConfigError } from '../../src/errors.js'
import type { RunningServer } from '../node/server.js'
import { prepareServer, urlHost } from '../posix/startup.js'
import { createNodeDocsAssets } from '../posix/docs-assets.js'
import { bunClientAddress, createDeps } from './deps.js'

/** Checks the pipeline files, then serves the app with Bun.serve. Same contract as the Node `serve`. */
export async function serve(config: Config, log: (line: string) => void = console.log): Promise<RunningServer> {
  // Cluster mode (--redis): the API replica only; workers run under Node (`pipeline-cron worker`).
  if (config.redis && config.worker) throw new ConfigError('--worker: under Bun the server is an API replica only; run workers under Node with `pipeline-cron worker --redis URL`')
  const { app, deps, banner } = config.redis
    ? await (await import('../redis/api.js')).prepareClusterServer(config, { clientAddress: bunClientAddress, docsAssets: createNodeDocsAssets() })
    : await prepareServer(config, createDeps(config))
  // Bun closes connections idle for 10 s by default; the log stream's heartbeat comes every 15 s.
  const server = Bun.serve({ fetch: app.fetch, port: config.port, hostname: config.host, idleTimeout: 120 })
  const url = `http://${urlHost(config.host)}:${server.port}`
  for (const line of banner(url, 'bun')) log(line)
  return {
    url,
    port: server.port,
    close: () => {
      deps.close()
      return server.stop(true)
    },
  }
}
