/**
 * The API's errors said in the CLI's terms: the flags a user typed, not the JSON fields and
 * headers they became, and what to do next.
 */
import type { PipelineCronError } from '../../../src/client.js'

/** What the command was asked: enough to say which flag to change. */
export interface CommandContext {
  command: string
  /** `--name`, when given. */
  name?: string
  /** Whether a token was given (`--token` or CRON_API_TOKEN). */
  token?: string
}

/** The fields of a request and the flags that set them. */
const FLAGS: Record<string, string> = {
  interval_seconds: '--every',
  cron: '--cron',
  timezone: '--tz',
  run_immediately: '--run-immediately',
  lines: '--lines',
  limit: '--limit',
}

/** One line for `err`, as a CLI user reads it. */
export function inCliTerms(err: PipelineCronError, context: CommandContext): string {
  if (err.status === 0) return unreachable(err.detail, context)
  if (err.status === 401) {
    return context.token
      ? `the server refused the token (${err.detail}): check --token or CRON_API_TOKEN`
      : 'the server needs a token: pass --token TOKEN or set CRON_API_TOKEN'
  }
  if (err.status === 403 && /read-only token/.test(err.detail)) {
    return `the token is read-only: ${context.command} needs the server's full token (--token or CRON_API_TOKEN)`
  }
  if (err.status === 404 && err.detail.startsWith('Pipeline not found: ')) {
    return `no pipeline named "${context.name ?? ''}" on this server; pipeline-cron list shows them`
  }
  if (err.status === 404 && err.detail.startsWith('No default pipeline')) {
    return 'this server runs several pipelines and none is the default: pass --name NAME (or set PIPELINE_CRON_NAME); pipeline-cron list shows them'
  }
  if (err.status === 400) return inFlagTerms(err.detail)
  return err.detail
}

/** `interval_seconds: must be an integer >= 10` → `--every: must be at least 10s (the server's minimum)`. */
export function inFlagTerms(detail: string): string {
  const m = /^(\w+): (.*)$/.exec(detail)
  const flag = m ? FLAGS[m[1]!] : undefined
  if (!m || !flag) return detail
  let rule = m[2]!
  if (flag === '--every') {
    rule = rule
      .replace(/^must be an integer >= (\d+)$/, (_, n: string) => `must be at least ${asDuration(Number(n))} (the server's minimum)`)
      .replace(/^must be at most (\d+)\b.*$/, (_, n: string) => `must be at most ${asDuration(Number(n))} (the server's maximum)`)
  }
  // A rule may name another field: "give either interval_seconds or cron", "only allowed with cron".
  rule = rule.replace(/\b(interval_seconds|timezone)\b|(?<=(?:either|or|with) )cron\b/g, (field) => FLAGS[field] ?? field)
  return `${flag}: ${rule}`
}

/** The server could not be reached: for `stop`, the daemon it would stop may still be running. */
function unreachable(detail: string, context: CommandContext): string {
  if (context.command !== 'stop') return `${detail}; is the server running? (--url / PIPELINE_CRON_URL)`
  const again = `pipeline-cron stop${context.name ? ` --name ${context.name}` : ''}`
  return (
    `${detail}, so nothing was stopped. The daemon outlives its server and may still be running: ` +
    `start a server on its state dir (pipeline-cron serve --state-dir DIR) and run ${again} again, ` +
    `or find it with pgrep -af -- '--instance=.* --state-dir=' (each daemon's command line names its state dir)`
  )
}

/** 10 → "10s", 60 → "1m", 31622400 → "366d": the largest unit `--every` takes that fits exactly. */
function asDuration(seconds: number): string {
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`
  }
  return `${seconds}s`
}
