/**
 * `bun adapters/bun/server.ts [serve] [flags]`: the API under Bun, with the same flags and
 * environment as `pipeline-cron serve`.
 */
import { resolveConfig } from '../../src/config.js'
import { ConfigError } from '../../src/errors.js'
import { serve } from './serve.js'

async function main(argv: string[]) {
  const args = argv[0] === 'serve' ? argv.slice(1) : argv
  const server = await serve(resolveConfig(args, process.env))
  const shutdown = () => void server.close().then(() => process.exit(0))
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}

main(Bun.argv.slice(2)).catch((err: Error) => {
  // A ConfigError is already one clear line; anything else (e.g. EADDRINUSE) is shown as is.
  process.stderr.write(`pipeline-cron: ${err instanceof ConfigError ? err.message : err.message}\n`)
  process.exit(1)
})
