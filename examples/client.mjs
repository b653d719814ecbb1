// The typed client against a running server (`npm start`, or `pipeline-cron serve`): start the
// pipeline, follow its log until the first run finishes, then stop it.
import { PipelineCronClient, PipelineCronError } from 'pipeline-cron/client'

const cron = new PipelineCronClient(process.env.PIPELINE_CRON_URL ?? 'http://127.0.0.1:8000', { token: process.env.CRON_API_TOKEN })

await cron.start({ interval_seconds: 60 }) // or cron.start(60), or { cron: '*/5 * * * *', timezone: 'Europe/Berlin' }
console.log((await cron.status()).message)

// followLogs() follows until you break out of the loop or its signal aborts.
for await (const event of cron.followLogs({ lines: 10, signal: AbortSignal.timeout(60_000) })) {
  if (event.type === 'line') console.log(event.line)
  if (event.type === 'line' && event.line.includes('Pipeline execution finished')) break
}

console.log(await cron.tailLogs(3))

await cron.stop({ drain: true }) // let a run in progress finish first
try {
  await cron.stop()
} catch (err) {
  if (!(err instanceof PipelineCronError)) throw err
  console.log(err.status, err.detail) // 409 Daemon is not running
}
