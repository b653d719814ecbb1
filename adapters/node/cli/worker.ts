import { Command, Option } from 'commander'
import { DEFAULTS, resolveConfig, SETTINGS } from '../../../src/config.js'
import { CliError } from './errors.js'
import { argsOf, HELP } from './serve.js'

// The settings a worker uses: where Redis is, which pipeline files, and how it runs them.
const WORKER_FLAGS = ['redis', 'pipeline', 'pipelines', 'concurrency', 'log-max-lines', 'runs-keep', 'stop-grace']

/** `worker --redis URL`: cluster mode's step runner (loaded only for this command). */
export function workerCommand(): Command {
  const cmd = new Command('worker').description('cluster mode: run the steps of the pipelines scheduled in Redis')
  for (const s of SETTINGS.filter((s) => WORKER_FLAGS.includes(s.flag))) {
    const [value, text, shownDefault] = HELP[s.flag] ?? ['value', s.flag]
    cmd.addOption(new Option(`--${s.flag} <${value}>`, `${text} (env: ${s.env}, default: ${shownDefault ?? String(DEFAULTS[s.key] ?? 'none')})`))
  }
  cmd.addHelpText('after', '\nEvery worker needs the same pipeline files (and the scripts they run) as the API replicas.')
  cmd.action(async (opts: Record<string, string | boolean | undefined>) => {
    const config = resolveConfig(argsOf(opts), process.env)
    if (!config.redis) throw new CliError('worker: --redis URL (or REDIS_URL) is required: a worker takes its runs from Redis')
    const { startClusterWorker } = await import('../../redis/worker.js')
    const worker = await startClusterWorker(config)
    const shutdown = () => void worker.close().then(() => process.exit(0))
    process.once('SIGINT', shutdown)
    process.once('SIGTERM', shutdown)
  })
  return cmd
}
