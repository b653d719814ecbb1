import { Command } from 'commander'
import { remoteCommands } from './remote.js'
import { runOnceCommand } from './run-once.js'
import { serveCommand } from './serve.js'
import { workerCommand } from './worker.js'

const EXAMPLES = `
Examples:
  pipeline-cron serve --port 8000                 serve the API (the default command)
  pipeline-cron start --every 60                  run the pipeline every minute
  pipeline-cron start --cron "0 * * * *" --tz Europe/Berlin
  pipeline-cron status                            is it running? how did the last run go?
  pipeline-cron list                              every pipeline: running, paused or stopped
  pipeline-cron pause --name orders               skip the scheduled runs of "orders" until resume
  pipeline-cron logs -n 50 -f                     the last 50 lines, then follow
  pipeline-cron runs --limit 10                   the last ten runs
  pipeline-cron run-once --pipeline pipeline.json run in the foreground, no server
  pipeline-cron serve --redis redis://127.0.0.1:6379   an API replica (cluster mode)
  pipeline-cron worker --redis redis://127.0.0.1:6379  a worker that runs the steps

Client commands talk to --url (env PIPELINE_CRON_URL, default http://127.0.0.1:8000)
with --token (env CRON_API_TOKEN) when the server has one, about the pipeline --name
(env PIPELINE_CRON_NAME), by default the server's default pipeline.`

/** The `pipeline-cron` command line: `serve` (default), the client commands and `run-once`. */
export function buildProgram(version: string): Command {
  const program = new Command('pipeline-cron')
    .description('Keeps a data pipeline running on a schedule and lets people and programs control it over HTTP.')
    .version(version, '-V, --version')
    .addHelpText('after', EXAMPLES)
  program.addCommand(serveCommand(), { isDefault: true })
  for (const cmd of remoteCommands()) program.addCommand(cmd)
  program.addCommand(runOnceCommand())
  program.addCommand(workerCommand())
  return program
}
