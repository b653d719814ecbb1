/** Human output of the CLI: a status summary, the runs and pipelines tables, durations and colour. */
import type { DaemonStatus, PipelineSummary, RunRecord } from '../../../src/client.js'
import { formatSeconds, logTimestamp } from '../../../src/log-line.js'
import { counted } from '../../../src/plural.js'
import { describeRunFailure } from '../../../src/run-step.js'

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

/**
 * A few lines that say whether the daemon runs the pipeline (and whether it is paused), on what
 * schedule, what it does and how the last run went. `name`: the pipeline asked for with --name.
 */
export function formatStatus(s: DaemonStatus, paint: Paint, now = new Date(), name?: string): string {
  const rows: Array<[string, string]> = []
  if (name !== undefined) rows.push(['Pipeline', name])
  const paused = s.is_running && s.paused ? `, ${paint.yellow('paused')}: scheduled runs are skipped until it is resumed` : ''
  // Cluster mode has no daemon pid: the schedule runs in Redis, a run on whichever worker takes it.
  const where = s.pid === null ? ' (cluster)' : ` (PID ${s.pid})`
  rows.push(['Daemon', s.is_running ? `${paint.green('running')}${where}${paused}` : paint.yellow('stopped')])
  if (s.schedule) rows.push(['Schedule', describeSchedule(s.schedule)])
  if (s.started_at) rows.push(['Started', when(s.started_at, now)])
  if (s.is_running) {
    if (s.current_run) {
      const c = s.current_run
      const step = c.step ? `step ${c.index}/${c.total} ${paint.bold(c.step)}` : 'starting'
      const on = s.worker ? ` on ${s.worker.host} (PID ${s.worker.pid})` : ''
      rows.push(['Running', `${step}, run ${c.id} (${c.trigger})${on} since ${relative(c.started_at, now)}`])
    } else rows.push(['Running', paint.dim('idle')])
    if (s.next_run_at) rows.push(['Next run', `${when(s.next_run_at, now)}${s.paused ? ' (skipped: paused)' : ''}`])
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

/**
 * The runs as an aligned table, newest first. STEPS is ran/total (a step the run never reached
 * counts in the total); NOTE says why a run did not succeed and which steps needed retries.
 */
export function formatRuns(runs: RunRecord[], paint: Paint): string {
  if (runs.length === 0) return 'No runs yet.'
  const header = ['ID', 'TRIGGER', 'STATUS', 'STARTED', 'DURATION', 'STEPS', 'NOTE']
  const rows = runs.map((r) => [
    r.id,
    r.trigger,
    r.status,
    logTimestamp(new Date(r.started_at)),
    r.duration_ms === null ? '-' : formatSeconds(r.duration_ms),
    `${r.steps.filter((s) => s.status !== 'not_run').length}/${r.steps.length}`,
    [describeRunFailure(r), retries(r)].filter(Boolean).join('; '),
  ])
  return table(header, rows, paint, (cell, i, row) => (i === 2 ? colourStatus(cell, paint, row[2]) : cell))
}

/** The pipelines as an aligned table, by name: whether each runs, its schedule, next and last run. */
export function formatPipelines(pipelines: PipelineSummary[], paint: Paint, now = new Date()): string {
  if (pipelines.length === 0) return 'No pipelines on this server.'
  const header = ['NAME', 'STATE', 'SCHEDULE', 'NEXT RUN', 'LAST RUN', 'NOTE']
  const rows = pipelines.map((p) => [
    p.name,
    pipelineState(p),
    p.schedule && p.is_running ? describeSchedule(p.schedule) : '-',
    // A paused pipeline's next tick is skipped: there is no next run to show.
    p.is_running && !p.paused && p.next_run_at ? relative(p.next_run_at, now) : '-',
    p.last_run ? `${p.last_run.status} ${relative(p.last_run.finished_at ?? p.last_run.started_at, now)}` : '-',
    p.error ?? (p.current_run ? `running ${p.current_run.step ? `step ${p.current_run.index}/${p.current_run.total} ${p.current_run.step}` : 'a run'}` : ''),
  ])
  const colours: Record<string, (s: string) => string> = { running: paint.green, paused: paint.yellow, stopped: paint.dim }
  return table(header, rows, paint, (cell, i, row) => {
    if (i === 1) return colours[row[1]!]!(cell)
    if (i === 4 && row[4] !== '-') return colourStatus(cell, paint, row[4]!.split(' ')[0])
    return cell
  })
}

/** `running`, `paused` (running, scheduled runs skipped) or `stopped`. */
export function pipelineState(p: Pick<PipelineSummary, 'is_running' | 'paused'>): 'running' | 'paused' | 'stopped' {
  return p.is_running ? (p.paused ? 'paused' : 'running') : 'stopped'
}

/** "every 5 minutes", "cron 0 * * * * (Europe/Berlin)". */
export function describeSchedule(schedule: NonNullable<DaemonStatus['schedule']>): string {
  if (schedule.type === 'interval') return `every ${formatInterval(schedule.interval_seconds)}`
  return `cron ${schedule.cron}${schedule.timezone ? ` (${schedule.timezone})` : ''}`
}

/** What `logs -f` says when the server skipped lines because this client fell behind. */
export function missedNote(lines: number): string {
  return `-- ${counted(lines, 'line')} skipped (this client fell behind) --`
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
  if (seconds % 86_400 === 0) return counted(seconds / 86_400, 'day')
  if (seconds % 3600 === 0) return counted(seconds / 3600, 'hour')
  if (seconds % 60 === 0 && seconds >= 120) return counted(seconds / 60, 'minute')
  return counted(seconds, 'second')
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

/** Rows aligned under a bold header; `colour` paints a cell after padding (escape codes have no width on screen). */
function table(header: string[], rows: string[][], paint: Paint, colour: (cell: string, i: number, row: string[]) => string): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[], paintCell: (cell: string, i: number) => string) =>
    cells.map((cell, i) => paintCell(i === cells.length - 1 ? cell : cell.padEnd(widths[i]!), i)).join('  ').trimEnd()
  return [line(header, (c) => paint.bold(c)), ...rows.map((row) => line(row, (c, i) => colour(c, i, row)))].join('\n')
}

/** "load: 3 attempts" for each step that took more than one. */
function retries(r: RunRecord): string {
  return r.steps
    .filter((s) => (s.attempts ?? 1) > 1)
    .map((s) => `${s.name}: ${counted(s.attempts!, 'attempt')}`)
    .join(', ')
}


