/**
 * One attempt of one step: spawned in its own process group, its output logged line by line with
 * a mark, ended by its own timeout, the run's deadline or a cancel (SIGTERM, then SIGKILL).
 */
import { LineSplitter, logTimestamp, STDERR_MARK, STDOUT_MARK } from './log-line.js'
import type { PipelineStep } from './pipeline.js'
import type { LogWriter, ProcessRunner, RunRecord, SpawnedProcess, StepRecord } from './ports.js'

/** A timed-out step gets SIGTERM, then SIGKILL this much later. */
export const TIMEOUT_KILL_DELAY_MS = 5000

export interface AttemptOptions {
  runner: ProcessRunner
  log: LogWriter
  /** The step's environment, complete. */
  env: Record<string, string>
  cwd: string
  /** A cancel: SIGTERM to the step's group, then SIGKILL after `graceMs`. */
  cancel: AbortSignal
  graceMs: number
  /** The run's deadline passed: the step ends as a timed-out one. */
  deadline: AbortSignal
  now: () => Date
}

/** Why an attempt ended, as the step record says it. */
export type AttemptStatus = Exclude<StepRecord['status'], 'not_run'>

export interface AttemptResult {
  status: AttemptStatus
  exit_code: number | null
  signal: string | null
  /** Why it could not start (command not found, a bad cwd). */
  error?: string
  /** The run's deadline, not the step's own timeout, ended it. */
  byDeadline?: boolean
}

export async function runAttempt(step: PipelineStep, options: AttemptOptions): Promise<AttemptResult> {
  const argv = typeof step.run === 'string' ? ['/bin/sh', '-c', step.run] : step.run
  const out = new LineSplitter()
  const err = new LineSplitter()
  // One write per chunk: a step printing 50k lines/s costs one timestamp and one write per read.
  const write = (lines: string[], mark: string) => {
    if (lines.length === 0) return
    const ts = `[${logTimestamp(options.now())}] ${mark}`
    options.log.append(`${ts}${lines.join(`\n${ts}`)}\n`)
  }

  let proc: SpawnedProcess
  try {
    proc = options.runner.spawn({ argv, cwd: options.cwd, env: options.env }, (text, stream) => {
      if (stream === 'stdout') write(out.push(text), STDOUT_MARK)
      else write(err.push(text), STDERR_MARK)
    })
  } catch (e) {
    return { status: 'failed', exit_code: null, signal: null, error: (e as Error).message }
  }

  let reason: 'timeout' | 'deadline' | 'cancelled' | null = null
  const timers: ReturnType<typeof setTimeout>[] = []
  const end = (why: NonNullable<typeof reason>, killAfterMs: number) => {
    if (reason) return
    reason = why
    proc.killGroup('SIGTERM')
    timers.push(setTimeout(() => proc.killGroup('SIGKILL'), killAfterMs))
  }
  const onCancel = () => end('cancelled', options.graceMs)
  const onDeadline = () => end('deadline', TIMEOUT_KILL_DELAY_MS)
  options.cancel.addEventListener('abort', onCancel, { once: true })
  options.deadline.addEventListener('abort', onDeadline, { once: true })
  if (options.cancel.aborted) onCancel()
  else if (options.deadline.aborted) onDeadline()
  if (step.timeout_seconds !== undefined) timers.push(setTimeout(() => end('timeout', TIMEOUT_KILL_DELAY_MS), step.timeout_seconds * 1000))

  const result = await proc.exited
  options.cancel.removeEventListener('abort', onCancel)
  options.deadline.removeEventListener('abort', onDeadline)
  for (const t of timers) clearTimeout(t)
  write(out.flush(), STDOUT_MARK)
  write(err.flush(), STDERR_MARK)

  if (result.error) return { status: 'failed', exit_code: null, signal: null, error: result.error }
  const ended = reason as typeof reason
  const status: AttemptStatus =
    ended === 'timeout' || ended === 'deadline' ? 'timed_out' : ended === 'cancelled' ? 'cancelled' : result.exitCode === 0 ? 'success' : 'failed'
  return { status, exit_code: result.exitCode, signal: result.signal, ...(ended === 'deadline' ? { byDeadline: true } : {}) }
}

/** `finished: exit 0 in 1.23s`, `failed: exit 2 in 0.52s`, `timed out in 900.00s`: one text everywhere a step's end is told. */
export function describeStepOutcome(r: Pick<StepRecord, 'status' | 'exit_code' | 'signal' | 'error' | 'duration_ms'>): string {
  const took = `in ${(r.duration_ms / 1000).toFixed(2)}s`
  if (r.status === 'success') return `finished: exit 0 ${took}`
  if (r.status === 'timed_out') return `timed out ${took}`
  if (r.status === 'cancelled') return `cancelled ${took}`
  if (r.status === 'not_run') return 'not run'
  if (r.error) return `failed: ${r.error}`
  return r.signal ? `failed: signal ${r.signal} ${took}` : `failed: exit ${r.exit_code} ${took}`
}

/**
 * Why a run did not succeed, in the log's words: its reason (the step that stopped it, the
 * deadline, a skip, a daemon that died), else its first step that did not succeed
 * (`step load failed: exit 3 in 0.52s`). Empty for a run that succeeded or still runs.
 * The CLI's run table and the dashboard's show this text.
 */
export function describeRunFailure(run: Pick<RunRecord, 'status' | 'reason' | 'steps'>): string {
  if (run.status === 'success' || run.status === 'running') return ''
  if (run.reason) return run.reason
  const step = run.steps.find((s) => s.status !== 'success' && s.status !== 'not_run')
  return step ? `step ${step.name} ${describeStepOutcome(step)}` : run.status
}
