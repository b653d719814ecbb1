/**
 * Embedding pipeline-cron in another server: the whole API (and its dashboard and docs) mounted
 * under /cron of your own Hono app, served by your app's own server.
 *
 *   npm run build && node_modules/.bin/bun examples/embed.ts --port 3000
 *   curl localhost:3000/cron/api/cron/status
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createApp, resolveConfig, type Config } from 'pipeline-cron'
import { createDeps } from 'pipeline-cron/node'

export function createParentApp(config: Config) {
  const parent = new Hono()
  parent.get('/', (c) => c.text('my service: see /cron/ for the pipeline'))
  parent.route('/cron', createApp(createDeps(config)))
  return parent
}

// Run directly (not imported by a test): serve on the configured port.
if (import.meta.url === `file://${process.argv[1]}`) {
  const config = resolveConfig(process.argv.slice(2), process.env)
  serve({ fetch: createParentApp(config).fetch, port: config.port, hostname: config.host }, (info) =>
    console.log(`embedding example listening on http://${config.host}:${info.port}/cron/`),
  )
}
