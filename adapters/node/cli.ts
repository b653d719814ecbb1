#!/usr/bin/env node
/**
 * `pipeline-cron [serve] [flags]`: serves the API on the configured pipeline.
 * The daemon keeps running when the server stops; `POST /api/cron/stop` ends it.
 */
import { resolveConfig } from '../../src/config.js'
import { ConfigError } from '../../src/errors.js'
import { serve } from './server.js'

async function main(argv: string[]) {
  const [command, ...rest] = argv[0] && !argv[0].startsWith('-') ? argv : ['serve', ...argv]
  if (command === '--help' || command === 'help' || rest.includes('--help')) return printHelp()
  if (command !== 'serve') throw new ConfigError(`unknown command "${command}"; try: pipeline-cron serve --help`)
  const config = resolveConfig(rest, process.env)
  const server = await serve(config)
  const shutdown = () => void server.close().then(() => process.exit(0))
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}

function printHelp() {
  console.log(`Usage: pipeline-cron serve [flags]

  --port N            PORT                 8000
  --host ADDR         HOST                 127.0.0.1
  --pipeline FILE     PIPELINE_FILE        ./pipeline.json, else the bundled example
  --state-dir DIR     STATE_DIR            ./.pipeline-cron
  --log-file FILE     LOG_FILE             ./pipeline_execution.log
  --token T           CRON_API_TOKEN       none (no auth)
  --read-token T      CRON_API_READ_TOKEN  none
  --min-interval S    MIN_INTERVAL_SECONDS 10
  --log-max-bytes N   LOG_MAX_BYTES        52428800
  --log-keep N        LOG_KEEP             5
  --stop-grace S      STOP_GRACE_SECONDS   10
  --runs-keep N       RUNS_KEEP            1000`)
}

main(process.argv.slice(2)).catch((err: Error & { code?: string }) => {
  const detail = err instanceof ConfigError ? err.message : err.code === 'EADDRINUSE' || err.code === 'EACCES' ? `cannot listen: ${err.message}` : err.message
  process.stderr.write(`pipeline-cron: ${detail}\n`)
  process.exit(1)
})
