import { formatLine, RUN_STARTED, runFinishedLine, runIdLine } from './log-line.js'
import type { Pipeline, PipelineStep } from './pipeline.js'
import type { LogWriter, ProcessRunner, RunRecord, StepRecord } from './ports.js'
import { INSTANCE_ENV } from './ports.js'
import { describeStepOutcome, runAttempt } from './run-step.js'

export interface RunOptions {
  id: string
  instanceId: string
  trigger: RunRecord['trigger']
  scheduledAt: Date | null
  pipeline: Pipeline
  /** Folder of the pipeline file: step `cwd`s are relative to it. */
  pipelineDir: string
  runner: ProcessRunner
  log: LogWriter
  /** Environment every step starts from (the daemon's own). */
  baseEnv: Record<string, string>
  /** The daemon's variables (the instance marker, the run id): set last, so a step's `env` cannot replace them. */
  ownEnv: Record<string, string>
  /** Aborting cancels the run: the current step's group gets SIGTERM, then SIGKILL after `graceMs`. */
  signal: AbortSignal
  graceMs: number
  /** Called when a step starts, so the daemon can publish `current_run`. */
  onStep?: (index: number, step: PipelineStep, at: Date) => void
  now?: () => Date
}

/**
 * The variables every step gets from the daemon: the tree's marker, which pipeline, which run,
 * and the tick it is for (empty for a manual run).
 */
export function daemonVariables(run: { instanceId: string; pipeline: string; runId: string; scheduledAt: Date | null }): Record<string, string> {
  return {
    [INSTANCE_ENV]: run.instanceId,
    PIPELINE_CRON_PIPELINE: run.pipeline,
    PIPELINE_CRON_RUN_ID: run.runId,
    PIPELINE_CRON_SCHEDULED_AT: run.scheduledAt?.toISOString() ?? '',
  }
}

export { TIMEOUT_KILL_DELAY_MS } from './run-step.js'

/** The longest wait between two attempts of a step, however many retries. */
export const MAX_RETRY_DELAY_SECONDS = 300

/**
 * Runs the steps in order, logging every line, and returns the finished run record. A failed
 * step is tried again when it has `retries`; the pipeline's `timeout_seconds` bounds the whole run.
 */
export async function runPipeline(opts: RunOptions): Promise<RunRecord> {
  const now = opts.now ?? (() => new Date())
  const started = now()
  const { steps } = opts.pipeline
  const records: StepRecord[] = []
  const line = (text: string) => opts.log.append(formatLine(text, now()))
  const deadline = new AbortController()
  const limitSeconds = opts.pipeline.timeout_seconds
  const deadlineTimer = limitSeconds !== undefined ? setTimeout(() => deadline.abort(), limitSeconds * 1000) : undefined

  line(RUN_STARTED)
  line(runIdLine(opts.id, opts.trigger))

  let stop: { status: RunRecord['status']; reason: string } | null = null
  try {
    for (let i = 0; i < steps.length && !stop; i++) {
      const step = steps[i]!
      if (opts.signal.aborted) stop = { status: 'cancelled', reason: 'cancelled by a stop' }
      else if (deadline.signal.aborted) stop = overDeadline(limitSeconds!, null)
      if (stop) break
      const record = await runStepWithRetries(step, i, opts, deadline.signal, now, line)
      records.push(record)
      if (record.status === 'success') continue
      if (record.status === 'cancelled') stop = { status: 'cancelled', reason: 'cancelled by a stop' }
      else if (deadline.signal.aborted) stop = overDeadline(limitSeconds!, step.name)
      else if (!step.continue_on_error) stop = { status: record.status === 'timed_out' ? 'timed_out' : 'failed', reason: `step ${step.name} ${describeStepOutcome(record)}` }
    }
  } finally {
    clearTimeout(deadlineTimer)
  }
  // Steps never reached are listed too, so the record says 1 of 3 ran, not 1 of 1.
  for (const step of steps.slice(records.length)) records.push(notRun(step))

  const finished = now()
  const durationMs = finished.getTime() - started.getTime()
  const failedAlong = records.filter((r) => r.status !== 'success' && r.status !== 'not_run')
  // continue_on_error lets the run go on, but a run with a failed step did not succeed.
  const outcome = stop ?? (failedAlong.length ? { status: 'failed' as const, reason: `${failedAlong.length} step${failedAlong.length > 1 ? 's' : ''} failed and the run went on (continue_on_error): ${failedAlong.map((r) => r.name).join(', ')}` } : null)
  const status = outcome?.status ?? 'success'
  const ok = records.filter((r) => r.status === 'success').length
  line(runFinishedLine(status, ok, steps.length, durationMs))
  return {
    id: opts.id,
    instance_id: opts.instanceId,
    trigger: opts.trigger,
    status,
    ...(outcome ? { reason: outcome.reason } : {}),
    scheduled_at: opts.scheduledAt?.toISOString() ?? null,
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    duration_ms: durationMs,
    steps: records,
  }
}

function overDeadline(seconds: number, during: string | null): { status: 'timed_out'; reason: string } {
  return { status: 'timed_out', reason: `the run took longer than its timeout_seconds (${seconds}s)${during ? ` during step ${during}` : ''}` }
}

/** Attempts of one step until one succeeds, the retries run out, or the run is cancelled or out of time. */
async function runStepWithRetries(
  step: PipelineStep,
  index: number,
  opts: RunOptions,
  deadline: AbortSignal,
  now: () => Date,
  line: (text: string) => void,
): Promise<StepRecord> {
  const prefix = `[${index + 1}/${opts.pipeline.steps.length}]`
  const tries = (step.retries ?? 0) + 1
  const startedAt = now()
  const env = { ...opts.baseEnv, ...step.env, ...opts.ownEnv }
  const cwd = resolveCwd(opts.pipelineDir, step.cwd)
  opts.onStep?.(index, step, startedAt)
  for (let attempt = 1; ; attempt++) {
    const of = tries > 1 ? ` (attempt ${attempt} of ${tries})` : ''
    line(`${prefix} Running ${step.name}...${attempt > 1 ? of : ''}`)
    const attemptStart = now()
    const result = await runAttempt(step, { runner: opts.runner, log: opts.log, env, cwd, cancel: opts.signal, graceMs: opts.graceMs, deadline, now })
    const record: StepRecord = {
      name: step.name,
      status: result.status,
      exit_code: result.exit_code,
      signal: result.signal,
      started_at: startedAt.toISOString(),
      duration_ms: now().getTime() - startedAt.getTime(),
      attempts: attempt,
      ...(result.error ? { error: result.error } : {}),
    }
    const outcome = describeStepOutcome({ ...record, duration_ms: now().getTime() - attemptStart.getTime() })
    const retryable = (result.status === 'failed' || result.status === 'timed_out') && !result.byDeadline
    if (!retryable || attempt >= tries || opts.signal.aborted || deadline.aborted) {
      line(`${prefix} ${step.name} ${outcome}${of}`)
      return record
    }
    const delay = Math.min((step.retry_delay_seconds ?? 1) * 2 ** (attempt - 1), MAX_RETRY_DELAY_SECONDS)
    line(`${prefix} ${step.name} ${outcome}${of}, retrying in ${formatDelay(delay)}`)
    // A stop (cancel) or the run's deadline cuts the wait short; a drain lets the retries go on.
    if (!(await waitUnlessAborted(delay * 1000, [opts.signal, deadline]))) {
      const cancelled = opts.signal.aborted
      line(`${prefix} ${step.name} ${cancelled ? 'cancelled while waiting to retry' : 'not retried: the run is out of time'}`)
      return { ...record, status: cancelled ? 'cancelled' : record.status, duration_ms: now().getTime() - startedAt.getTime() }
    }
  }
}

function notRun(step: PipelineStep): StepRecord {
  return { name: step.name, status: 'not_run', exit_code: null, signal: null, started_at: null, duration_ms: 0, attempts: 0 }
}

/** Resolves true after `ms`, or false as soon as one of `signals` aborts. */
function waitUnlessAborted(ms: number, signals: AbortSignal[]): Promise<boolean> {
  if (signals.some((s) => s.aborted)) return Promise.resolve(false)
  return new Promise((resolve) => {
    const done = (value: boolean) => {
      clearTimeout(timer)
      for (const s of signals) s.removeEventListener('abort', onAbort)
      resolve(value)
    }
    const onAbort = () => done(false)
    const timer = setTimeout(() => done(true), ms)
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true })
  })
}

function formatDelay(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}s` : `${seconds.toFixed(1)}s`
}

/** The folder a pipeline file is in: its steps' `cwd`s are relative to it. */
export function folderOf(file: string): string {
  const slash = file.lastIndexOf('/')
  return slash <= 0 ? '/' : file.slice(0, slash)
}

/** Joins a step's `cwd` onto the pipeline folder (absolute `cwd`s are kept as they are). */
export function resolveCwd(base: string, cwd: string | undefined): string {
  if (!cwd) return base
  if (cwd.startsWith('/')) return cwd
  return `${base.replace(/\/+$/, '')}/${cwd}`
}
