/**
 * The dashboard's pure formatters. No DOM here, so they run (and are unit-tested) under Node as
 * well as in the browser. Times follow the browser's locale; durations and countdowns do not.
 */
import type { DaemonStatus, PipelineSummary, StepRecord } from '../../schemas.js'

export { describeSchedule } from '../../schedule-text.js'

const STATUS_TEXT: Record<string, string> = {
  success: '✓ success',
  failed: '✗ failed',
  timed_out: '⏱ timed out',
  cancelled: '⊘ cancelled',
  skipped: '↷ skipped',
  abandoned: '⚠ abandoned',
  running: '▶ running',
}

/** A run's or a step's status with its symbol (`✓ success`); an unknown one as it came. */
export function statusLabel(status: string): string {
  return STATUS_TEXT[status] ?? status
}

const numbers = new Intl.NumberFormat()
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' })

/** `100,000` in the reader's locale. */
export function formatCount(n: number): string {
  return numbers.format(n)
}

/** The time of day alone (`10:30:45 AM`). */
export function formatClock(d: Date): string {
  return timeOnly.format(d)
}

/** An ISO time: the time alone when it falls on `now`'s day, else date and time; `–` for none. */
export function formatTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '–'
  const d = new Date(iso)
  return d.toDateString() === now.toDateString() ? timeOnly.format(d) : dateTime.format(d)
}

/** `850 ms`, `2.35 s`, `12.5 s`, `3 min 07 s`, `2 h 05 min`; `–` for none. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '–'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}

/** Time left until a run: `in 4:05`, `in 1:02:03`; `due now` within half a second or past it. */
export function formatCountdown(ms: number): string {
  if (ms <= 500) return 'due now'
  const total = Math.round(ms / 1000)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  const mm = h ? String(m).padStart(2, '0') : String(m)
  return `in ${h ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`
}

/** A step record; `attempts` comes with retries (a record without it ran once). */
export type StepView = StepRecord & { attempts?: number }

/** `3 attempts` for a step tried more than once; empty otherwise. */
export function attemptsLabel(step: StepView): string {
  const n = step.attempts
  return typeof n === 'number' && Number.isInteger(n) && n > 1 ? `${n} attempts` : ''
}

export type PipelineState = 'running' | 'paused' | 'stopped'

export function pipelineState(p: Pick<PipelineSummary, 'is_running' | 'paused'>): PipelineState {
  return !p.is_running ? 'stopped' : p.paused ? 'paused' : 'running'
}

const STATE_TEXT: Record<PipelineState, string> = { running: '● running', paused: '⏸ paused', stopped: '■ stopped' }
const STATE_CLASS: Record<PipelineState, string> = { running: 's-up', paused: 's-paused', stopped: 's-down' }

/** A pipeline's state as the list shows it: its text and its colour class. */
export function stateBadge(state: PipelineState): { text: string; cls: string } {
  return { text: STATE_TEXT[state], cls: STATE_CLASS[state] }
}

/** The header badge (text, colour class) and the tab title for one pipeline's status. */
export function statusHeadline(s: Pick<DaemonStatus, 'is_running' | 'paused' | 'current_run'>, pipeline: string | null = null) {
  const current = s.current_run
  const state = pipelineState(s)
  const [badge, symbol, word] = current
    ? ['▶ Running a pipeline', '▶', `step ${current.index}/${current.total}`]
    : state === 'running'
      ? ['● Running', '●', 'running']
      : state === 'paused'
        ? ['⏸ Paused', '⏸', 'paused']
        : ['■ Stopped', '■', 'stopped']
  const cls = current ? 's-up' : STATE_CLASS[state]
  return { badge, cls, title: `${symbol} pipeline-cron${pipeline ? ` / ${pipeline}` : ''}: ${word}` }
}

/** The header badge over the list of pipelines: how many run. */
export function listHeadline(pipelines: Pick<PipelineSummary, 'is_running'>[]): { badge: string; cls: string; title: string } {
  const running = pipelines.filter((p) => p.is_running).length
  const total = pipelines.length
  return {
    badge: `${running} of ${total} running`,
    cls: running ? 's-up' : 's-down',
    title: `pipeline-cron: ${total} pipeline${total === 1 ? '' : 's'}, ${running} running`,
  }
}

/** How the log view shows a line: a step's output (stdout or stderr, by the daemon's mark) or a daemon line. */
export type LineKind = 'stdout' | 'stderr' | 'marker' | 'bad' | 'daemon'

// A step's lines carry a mark after the timestamp, so whatever they print never reads as the daemon's.
const STEP_LINE = /^\[[^\]]*\] \[(stdout|stderr)\] /
const STEP_PROGRESS = /\] \[\d+\/\d+\] /

export function lineKind(line: string): LineKind {
  const step = STEP_LINE.exec(line)
  if (step) return step[1] === 'stderr' ? 'stderr' : 'stdout'
  if (line.includes('========== ')) return /finished: (?!success)|execution (failed|cancelled)/.test(line) ? 'bad' : 'marker'
  if (/\] \[\d+\/\d+\] .* (failed|timed out|cancelled)\b/.test(line)) return 'bad'
  return 'daemon'
}

/** True for a daemon line saying a run or a step began or ended: the status is worth asking for now. */
export function isProgressLine(line: string): boolean {
  if (STEP_LINE.test(line)) return false
  return line.includes('==========') || STEP_PROGRESS.test(line)
}

/** The chart's caption: how many runs, the longest, and the count of each status. */
export function chartCaption(statuses: string[], longestMs: number): string {
  if (!statuses.length) return 'No runs yet.'
  const counts = new Map<string, number>()
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1)
  const parts = [...counts].map(([k, n]) => `${n} ${k.replace('_', ' ')}`).join(', ')
  return `Durations of the last ${statuses.length} runs, oldest on the left, longest ${formatDuration(longestMs)}: ${parts}.`
}
