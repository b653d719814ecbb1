// Your own Hono server with pipeline-cron's API, dashboard and docs under /cron/.
// npm install pipeline-cron hono @hono/node-server   (pipeline-cron uses your app's copy of both)
// node embed.mjs --port 3000, then open http://127.0.0.1:3000/cron/
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createApp, resolveConfig } from 'pipeline-cron'
import { createDeps } from 'pipeline-cron/node'

const config = resolveConfig(process.argv.slice(2), process.env) // the flags and variables of `pipeline-cron serve`
const parent = new Hono()
parent.get('/', (c) => c.text('my service: see /cron/ for the pipeline'))
parent.route('/cron', createApp(createDeps(config)))

serve({ fetch: parent.fetch, port: config.port, hostname: config.host }, (info) => {
  console.log(`my service listening on http://${config.host}:${info.port}/ (pipeline-cron under /cron/)`)
})
