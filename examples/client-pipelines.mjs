// The typed client against a server of several pipelines (`pipeline-cron serve --pipelines DIR`,
// one of them DIR/orders.json): the same methods on any of them, by name.
import { PipelineCronClient } from 'pipeline-cron/client'

const cron = new PipelineCronClient(process.env.PIPELINE_CRON_URL ?? 'http://127.0.0.1:8000', { token: process.env.CRON_API_TOKEN })

for (const p of (await cron.pipelines()).pipelines) console.log(p.name, p.is_running ? 'running' : 'stopped')

const orders = cron.pipeline('orders') // /api/pipelines/orders/…
await orders.start({ interval_seconds: 300 })
await orders.pause() // scheduled runs are skipped until resume()
console.log((await orders.status()).paused) // true
await orders.resume()
console.log((await orders.health()).reason) // its dead-man check; a 503 throws with the reason
await orders.stop()
