/** Human output of the CLI: a status summary, a runs table, durations and colour. */
import type { DaemonStatus, RunRecord } from '../../../src/client.js'
import { formatSeconds, logTimestamp } from '../../../src/log-line.js'

export interface Paint {
  bold(s: string): string
  dim(s: string): string
  green(s: string): string
  red(s: string): string
  yellow(s: string): string
  cyan(s: string): string
}

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function paintFor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): Paint {
  const on = Boolean(stream.isTTY) && !env.NO_COLOR
  const sgr = (open: number, close: number) => (s: string) => (on ? `\x1b[${open}m${s}\x1b[${close}m` : s)
  return { bold: sgr(1, 22), dim: sgr(2, 22), green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) }
}

/** A few lines that say whether the daemon runs, on what schedule, what it does and how the last run went. */
export function formatStatus(s: DaemonStatus, paint: Paint, now = new Date()): string {
  const rows: Array<[string, string]> = []
  rows.push(['Daemon', s.is_running ? `${paint.green('running')} (PID ${s.pid})` : paint.yellow('stopped')])
  if (s.schedule) {
    const every = s.schedule.type === 'interval' ? `every ${formatInterval(s.schedule.interval_seconds)}` : `cron ${s.schedule.cron}${s.schedule.timezone ? ` (${s.schedule.timezone})` : ''}`
    rows.push(['Schedule', every])
  }
  if (s.started_at) rows.push(['Started', when(s.started_at, now)])
  if (s.is_running) {
    if (s.current_run) {
      const c = s.current_run
      const step = c.step ? `step ${c.index}/${c.total} ${paint.bold(c.step)}` : 'starting'
      rows.push(['Running', `${step}, run ${c.id} (${c.trigger}) since ${relative(c.started_at, now)}`])
    } else rows.push(['Running', paint.dim('idle')])
    if (s.next_run_at) rows.push(['Next run', when(s.next_run_at, now)])
  }
  if (s.last_run) {
    const r = s.last_run
    const took = r.duration_ms === null ? '' : ` in ${formatSeconds(r.duration_ms)}`
    const at = r.finished_at ?? r.started_at
    rows.push(['Last run', `${colourStatus(r.status, paint)}${took}, ${r.finished_at ? 'finished' : 'started'} ${when(at, now)} (${r.id})`])
  } else rows.push(['Last run', paint.dim('none yet')])
  const width = Math.max(...rows.map(([k]) => k.length + 1)) + 2
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join('\n')
}

/** The runs as an aligned table, newest first, with why a run did not succeed. */
export function formatRuns(runs: RunRecord[], paint: Paint): string {
  if (runs.length === 0) return 'No runs yet.'
  const header = ['ID', 'TRIGGER', 'STATUS', 'STARTED', 'DURATION', 'STEPS', 'NOTE']
  const rows = runs.map((r) => [
    r.id,
    r.trigger,
    r.status,
    logTimestamp(new Date(r.started_at)),
    r.duration_ms === null ? '-' : formatSeconds(r.duration_ms),
    `${r.steps.filter((s) => s.status === 'success').length}/${r.steps.length}`,
    note(r),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  // Pad before colouring: escape codes have no width on screen.
  const line = (cells: string[], colour: (cell: string, i: number) => string) =>
    cells.map((cell, i) => colour(i === cells.length - 1 ? cell : cell.padEnd(widths[i]!), i)).join('  ').trimEnd()
  return [
    line(header, (c) => paint.bold(c)),
    ...rows.map((row) => line(row, (c, i) => (i === 2 ? colourStatus(c, paint, row[2]) : c))),
  ].join('\n')
}

export function colourStatus(text: string, paint: Paint, status = text.trim()): string {
  if (status === 'success') return paint.green(text)
  if (status === 'running') return paint.cyan(text)
  if (status === 'skipped') return paint.dim(text)
  if (status === 'cancelled' || status === 'abandoned') return paint.yellow(text)
  return paint.red(text)
}

/** `60` → "60 seconds", `300` → "5 minutes", `5400` → "90 minutes", `7200` → "2 hours". */
export function formatInterval(seconds: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  if (seconds % 86_400 === 0) return unit(seconds / 86_400, 'day')
  if (seconds % 3600 === 0) return unit(seconds / 3600, 'hour')
  if (seconds % 60 === 0 && seconds >= 120) return unit(seconds / 60, 'minute')
  return unit(seconds, 'second')
}

/** "2025-12-26 10:30:45 (5m ago)", in local time like the log lines. */
export function when(iso: string, now: Date): string {
  return `${logTimestamp(new Date(iso))} (${relative(iso, now)})`
}

/** "in 12s", "5m ago", "just now". */
export function relative(iso: string, now: Date): string {
  const ms = new Date(iso).getTime() - now.getTime()
  const abs = Math.abs(ms)
  if (abs < 1000) return 'just now'
  const text = abs < 60_000 ? `${Math.round(abs / 1000)}s` : abs < 3_600_000 ? `${Math.round(abs / 60_000)}m` : abs < 86_400_000 ? `${(abs / 3_600_000).toFixed(1)}h` : `${(abs / 86_400_000).toFixed(1)}d`
  return ms > 0 ? `in ${text}` : `${text} ago`
}

function note(r: RunRecord): string {
  if (r.reason) return r.reason
  const bad = r.steps.find((s) => s.status !== 'success')
  if (!bad) return ''
  if (bad.error) return `${bad.name}: ${bad.error}`
  if (bad.status === 'timed_out') return `${bad.name}: timed out`
  if (bad.status === 'cancelled') return `${bad.name}: cancelled`
  return `${bad.name}: ${bad.signal ? `signal ${bad.signal}` : `exit ${bad.exit_code}`}`
}
