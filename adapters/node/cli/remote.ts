/** The commands that talk to a running server through the typed client. */
import { Command, InvalidArgumentError, Option } from 'commander'
import { DEFAULT_URL, PipelineCronClient, PipelineCronError, type PipelineMethods, type StartOptions } from '../../../src/client.js'
import { PIPELINE_NAME } from '../../../src/control/homes.js'
import { CliError } from './errors.js'
import { formatPipelines, formatRuns, formatStatus, missedNote, paintFor } from './format.js'
import { inCliTerms } from './messages.js'

interface ClientFlags {
  url: string
  token?: string
  name?: string
}

export function remoteCommands(): Command[] {
  const list = server(new Command('list'))
    .description('list the pipelines: running, paused or stopped, schedule, next and last run')
    .option('--json', 'print the API\'s JSON answer')
    .action(act('list', async (flags: ClientFlags & { json?: boolean }) => {
      const res = await root(flags).pipelines()
      print(flags.json ? JSON.stringify(res, null, 2) : formatPipelines(res.pipelines, paintFor(process.stdout, process.env)))
    }))

  const start = client(new Command('start'))
    .description('start the pipeline on an interval or a cron schedule')
    .addOption(new Option('--every <duration>', 'run every N seconds (or 90s, 5m, 1h, 1d)').argParser(parseDuration).conflicts('cron'))
    .addOption(new Option('--cron <expr>', 'run on a cron expression (5 fields, or 6 with seconds first)'))
    .option('--tz <zone>', 'IANA time zone for --cron (default: the server\'s)')
    .option('--run-immediately', 'run once right away (the default for --every)')
    .option('--no-run-immediately', 'wait for the first tick (the default for --cron)')
    .addHelpText('after', '\nExamples:\n  pipeline-cron start --every 60\n  pipeline-cron start --every 1h --no-run-immediately\n  pipeline-cron start --cron "*/5 * * * *" --tz Europe/Berlin\n  pipeline-cron start --name orders --every 5m')
    .action(act('start', async (flags: ClientFlags & { every?: number; cron?: string; tz?: string; runImmediately?: boolean }) => {
      if (flags.every === undefined && flags.cron === undefined) throw new CliError('start needs --every SECONDS or --cron EXPR')
      if (flags.tz !== undefined && flags.cron === undefined) throw new CliError('--tz only goes with --cron')
      const schedule: StartOptions = flags.cron !== undefined ? { cron: flags.cron, ...(flags.tz ? { timezone: flags.tz } : {}) } : { interval_seconds: flags.every! }
      if (flags.runImmediately !== undefined) schedule.run_immediately = flags.runImmediately
      print((await connect(flags).start(schedule)).message)
    }))

  const stop = client(new Command('stop'))
    .description('stop the pipeline (ends the current run unless --drain)')
    .option('--drain', 'let the current run finish first')
    .action(act('stop', async (flags: ClientFlags & { drain?: boolean }) => {
      const res = await connect(flags).stop({ drain: Boolean(flags.drain) })
      print(res.message + (res.forced ? ' (it did not exit in time and was killed)' : ''))
      if (res.survivors.length > 0) process.stderr.write(`pipeline-cron: warning: killed leftover processes: ${res.survivors.join(', ')}\n`)
    }))

  const status = client(new Command('status'))
    .description('show whether the pipeline runs or is paused, its schedule, the current and the last run')
    .option('--json', 'print the API\'s JSON answer')
    .action(act('status', async (flags: ClientFlags & { json?: boolean }) => {
      const s = await connect(flags).status()
      print(flags.json ? JSON.stringify(s, null, 2) : formatStatus(s, paintFor(process.stdout, process.env), new Date(), flags.name))
    }))

  const pause = client(new Command('pause'))
    .description('pause the pipeline: it keeps its schedule, but scheduled runs are skipped until resume (run-now still works)')
    .action(act('pause', async (flags: ClientFlags) => print((await connect(flags).pause()).message)))

  const resume = client(new Command('resume'))
    .description('resume a paused pipeline')
    .action(act('resume', async (flags: ClientFlags) => print((await connect(flags).resume()).message)))

  const logs = client(new Command('logs'))
    .description('print the log (all of it, or the last N lines); -f follows it live')
    .addOption(new Option('-n, --lines <n>', 'only the last N lines (with -f: the lines shown first, default 10)').argParser(positiveInteger))
    .option('-f, --follow', 'keep printing new lines as they are written (Ctrl-C ends)')
    .action(act('logs', async (flags: ClientFlags & { lines?: number; follow?: boolean }) => {
      const api = connect(flags)
      if (flags.follow) return follow(api, flags.lines ?? 10)
      const text = flags.lines === undefined ? (await api.getLogs()).logs : await api.tailLogs(flags.lines)
      process.stdout.write(text)
    }))

  const clearLogs = client(new Command('clear-logs'))
    .description('clear the log file')
    .action(act('clear-logs', async (flags: ClientFlags) => print((await connect(flags).clearLogs()).message)))

  const runs = client(new Command('runs'))
    .description('list past runs, newest first')
    .addOption(new Option('--limit <n>', 'how many runs (default 20)').argParser(positiveInteger))
    .option('--json', 'print the API\'s JSON answer')
    .action(act('runs', async (flags: ClientFlags & { limit?: number; json?: boolean }) => {
      const res = await connect(flags).runs(flags.limit ?? 20)
      print(flags.json ? JSON.stringify(res, null, 2) : formatRuns(res.runs, paintFor(process.stdout, process.env)))
    }))

  const runNow = client(new Command('run-now'))
    .description('run the pipeline now, in the running daemon')
    .action(act('run-now', async (flags: ClientFlags) => {
      const res = await connect(flags).runNow()
      print(res.run_id ? `${res.message} (run ${res.run_id})` : res.message)
    }))

  return [list, start, stop, status, pause, resume, logs, clearLogs, runs, runNow]
}

/** Adds the options every command that talks to a server shares. */
function server(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', 'server URL').env('PIPELINE_CRON_URL').default(DEFAULT_URL))
    .addOption(new Option('--token <token>', 'bearer token, if the server has one').env('CRON_API_TOKEN'))
}

/** Adds the options every command about one pipeline shares: the server's, and --name. */
function client(cmd: Command): Command {
  return server(cmd).addOption(
    new Option('--name <name>', 'the pipeline (default: the server\'s default pipeline; see pipeline-cron list)').env('PIPELINE_CRON_NAME').argParser(pipelineName),
  )
}

/** The action, with the API's errors said in CLI terms (the flags, not the JSON fields they became). */
function act<O extends ClientFlags>(command: string, action: (flags: O) => Promise<void>): (flags: O) => Promise<void> {
  return async (flags) => {
    try {
      await action(flags)
    } catch (err) {
      if (err instanceof PipelineCronError) throw new CliError(inCliTerms(err, { command, name: flags.name, token: flags.token }))
      throw err
    }
  }
}

function root(flags: ClientFlags): PipelineCronClient {
  if (!/^https?:\/\//.test(flags.url)) throw new CliError(`--url: expected an http:// or https:// URL, got "${flags.url}"`)
  return new PipelineCronClient(flags.url, { token: flags.token })
}

/** The default pipeline (`/api/cron/…`), or the one --name names (`/api/pipelines/{name}/…`). */
function connect(flags: ClientFlags): PipelineMethods {
  const api = root(flags)
  return flags.name === undefined ? api : api.pipeline(flags.name)
}

async function follow(api: PipelineMethods, lines: number) {
  const abort = new AbortController()
  const end = () => abort.abort()
  process.once('SIGINT', end)
  process.once('SIGTERM', end)
  const paint = paintFor(process.stderr, process.env)
  try {
    for await (const event of api.followLogs({ lines, signal: abort.signal })) {
      if (event.type === 'clear') process.stderr.write(`${paint.dim('-- the log was cleared --')}\n`)
      else if (event.type === 'missed') process.stderr.write(`${paint.dim(missedNote(event.lines))}\n`)
      else process.stdout.write(`${event.line}\n`)
    }
  } catch (err) {
    if (!abort.signal.aborted) throw err
  } finally {
    process.off('SIGINT', end)
    process.off('SIGTERM', end)
  }
}

function print(text: string) {
  process.stdout.write(`${text}\n`)
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** "60", "90s", "5m", "1h", "1d" → seconds. */
export function parseDuration(raw: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(raw.trim())
  if (!m) throw new InvalidArgumentError('expected seconds (60) or a duration (90s, 5m, 1h, 1d).')
  return Number(m[1]) * UNIT_SECONDS[m[2] ?? 's']!
}

/** A pipeline name as the server's files allow it: checked here, so a typo is not sent as a path. */
function pipelineName(raw: string): string {
  if (!PIPELINE_NAME.test(raw)) throw new InvalidArgumentError('expected a pipeline name: lower-case letters, digits, - and _, at most 64 characters.')
  return raw
}

// The upper bound is the server's to check (it answers 400 with the rule).
function positiveInteger(raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new InvalidArgumentError('expected a positive integer.')
  return Number(raw)
}
