import { Command, Option } from 'commander'
import { DEFAULTS, resolveConfig, SETTINGS } from '../../../src/config.js'

// Help text per flag; a setting added to SETTINGS without one still gets an option (and its env).
export const HELP: Record<string, [value: string, text: string, shownDefault?: string]> = {
  port: ['n', 'port to listen on (0: any free port)'],
  host: ['addr', 'address to bind; beyond loopback, set a token'],
  pipeline: ['file', 'pipeline file', './pipeline.json, else the bundled example'],
  'state-dir': ['dir', 'daemon state, lock and run history'],
  'log-file': ['file', 'pipeline log file'],
  token: ['token', 'bearer token required on /api/* and /metrics', 'none: no auth'],
  'read-token': ['token', 'bearer token for GET routes only', 'none'],
  'min-interval': ['seconds', 'smallest interval_seconds accepted'],
  'log-max-bytes': ['bytes', 'rotate the log at this size'],
  'log-keep': ['n', 'rotated log files kept (.1 … .n)'],
  'stop-grace': ['seconds', 'SIGTERM → SIGKILL grace when a run is cancelled'],
  'runs-keep': ['n', 'run records kept in the history'],
  pipelines: ['dir', 'a folder of pipelines: every *.json, named by its file stem', 'none'],
  'default-pipeline': ['name', 'the pipeline /api/cron/… serves', 'default, else the only one'],
  'log-dir': ['dir', 'where <name>.log of each pipeline (but default) goes'],
  'no-resume': ['', 'do not start again the pipelines that were running when the server last stopped', 'resume'],
  redis: ['url', 'cluster mode: keep schedules, runs and logs in Redis (redis://HOST:PORT[/DB]); see "When one machine is not enough"', 'none: local mode'],
  worker: ['', 'cluster mode: this server also runs steps (a worker)', 'API only'],
  concurrency: ['n', 'cluster mode: runs one worker takes at once, all pipelines together'],
  'log-max-lines': ['n', 'cluster mode: lines kept in each pipeline\'s log stream'],
}

/** `serve`: the HTTP API on the configured pipeline (the default command). */
export function serveCommand(): Command {
  const cmd = new Command('serve').description('serve the HTTP API (the default command)')
  for (const s of SETTINGS) {
    const [value, text, shownDefault] = HELP[s.flag] ?? ['value', s.flag]
    const fallback = shownDefault ?? String(DEFAULTS[s.key] ?? 'none')
    // No commander default or env here: resolveConfig applies them, so flags still win over env.
    const takes = s.switchValue === undefined ? ` <${value}>` : ''
    cmd.addOption(new Option(`--${s.flag}${takes}`, `${text} (env: ${s.env}, default: ${fallback})`))
  }
  cmd.addHelpText('after', '\nThe daemon keeps running when the server stops; `pipeline-cron stop` (or POST /api/cron/stop) ends it.')
  cmd.action(async (opts: Record<string, string | boolean | undefined>) => {
    const config = resolveConfig(argsOf(opts), process.env)
    // Loaded here, not at the top: the client commands start faster without the server's modules.
    const { serve } = await import('../server.js')
    const server = await serve(config)
    const shutdown = () => void server.close().then(() => process.exit(0))
    process.once('SIGINT', shutdown)
    process.once('SIGTERM', shutdown)
  })
  return cmd
}

/** The flags commander parsed, back as arguments for resolveConfig (which applies env and defaults). */
export function argsOf(opts: Record<string, string | boolean | undefined>): string[] {
  const args: string[] = []
  for (const s of SETTINGS) {
    // commander reads a `--no-x` switch as `x: false`, and `--x` as `x: true`.
    if (s.switchValue !== undefined) {
      const negated = s.flag.startsWith('no-')
      const given = opts[camel(s.flag.replace(/^no-/, ''))]
      if (negated ? given === false : given === true) args.push(`--${s.flag}`)
      continue
    }
    const given = opts[camel(s.flag)]
    if (typeof given === 'string') args.push(`--${s.flag}`, given)
  }
  return args
}

function camel(flag: string): string {
  return flag.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())
}
