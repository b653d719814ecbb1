import { formatLine, LineSplitter, logTimestamp, RUN_STARTED, runFinishedLine, runIdLine, STDERR_MARK, STDOUT_MARK } from './log-line.js'
import type { Pipeline, PipelineStep } from './pipeline.js'
import type { LogWriter, ProcessRunner, RunRecord, SpawnedProcess, StepRecord } from './ports.js'
import { RESERVED_ENV_PREFIX } from './ports.js'

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
  /** Environment every step starts from (the daemon's own, plus the instance marker). */
  baseEnv: Record<string, string>
  /** Aborting cancels the run: the current step's group gets SIGTERM, then SIGKILL after `graceMs`. */
  signal: AbortSignal
  graceMs: number
  /** Called when a step starts, so the daemon can publish `current_run`. */
  onStep?: (index: number, step: PipelineStep, at: Date) => void
  now?: () => Date
}

/** SPEC section 4: a timed-out step gets SIGTERM, then SIGKILL this much later. */
export const TIMEOUT_KILL_DELAY_MS = 5000

/** Runs the steps in order, logging every line, and returns the finished run record. */
export async function runPipeline(opts: RunOptions): Promise<RunRecord> {
  const now = opts.now ?? (() => new Date())
  const started = now()
  const { steps } = opts.pipeline
  const records: StepRecord[] = []
  const line = (text: string) => opts.log.append(formatLine(text, now()))

  line(RUN_STARTED)
  line(runIdLine(opts.id, opts.trigger))

  let stoppedBy: StepRecord['status'] | null = null
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!
    if (opts.signal.aborted) {
      stoppedBy = 'cancelled'
      break
    }
    const prefix = `[${i + 1}/${steps.length}]`
    const at = now()
    opts.onStep?.(i, step, at)
    line(`${prefix} Running ${step.name}...`)
    const record = await runStep(step, at, opts, now)
    records.push(record)
    line(`${prefix} ${step.name} ${describeOutcome(record)}`)
    if (record.status === 'success') continue
    if (record.status === 'cancelled') {
      stoppedBy = 'cancelled'
      break
    }
    if (!step.continue_on_error) {
      stoppedBy = record.status
      break
    }
  }

  const finished = now()
  const durationMs = finished.getTime() - started.getTime()
  const status = runStatus(stoppedBy, records)
  const ok = records.filter((r) => r.status === 'success').length
  line(runFinishedLine(status, ok, steps.length, durationMs))
  return {
    id: opts.id,
    instance_id: opts.instanceId,
    trigger: opts.trigger,
    status,
    scheduled_at: opts.scheduledAt?.toISOString() ?? null,
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    duration_ms: durationMs,
    steps: records,
  }
}

function runStatus(stoppedBy: StepRecord['status'] | null, records: StepRecord[]): RunRecord['status'] {
  if (stoppedBy === 'cancelled') return 'cancelled'
  if (stoppedBy === 'timed_out') return 'timed_out'
  if (stoppedBy === 'failed') return 'failed'
  // continue_on_error lets the run go on, but a run with a failed step did not succeed.
  return records.some((r) => r.status !== 'success') ? 'failed' : 'success'
}

function describeOutcome(r: StepRecord): string {
  const took = `in ${(r.duration_ms / 1000).toFixed(2)}s`
  if (r.status === 'success') return `finished: exit 0 ${took}`
  if (r.status === 'timed_out') return `timed out ${took}`
  if (r.status === 'cancelled') return `cancelled ${took}`
  if (r.error) return `failed: ${r.error}`
  return r.signal ? `failed: signal ${r.signal} ${took}` : `failed: exit ${r.exit_code} ${took}`
}

async function runStep(step: PipelineStep, startedAt: Date, opts: RunOptions, now: () => Date): Promise<StepRecord> {
  // The daemon's own variables go last: a step's env (checked when the file is parsed) never replaces the marker.
  const env = { ...opts.baseEnv, ...step.env, ...reservedOf(opts.baseEnv) }
  const argv = typeof step.run === 'string' ? ['/bin/sh', '-c', step.run] : step.run
  const cwd = resolveCwd(opts.pipelineDir, step.cwd)
  const out = new LineSplitter()
  const err = new LineSplitter()
  // One write per chunk: a step printing 50k lines/s costs one timestamp and one write per read.
  const write = (lines: string[], mark: string) => {
    if (lines.length === 0) return
    const ts = `[${logTimestamp(now())}] ${mark}`
    opts.log.append(`${ts}${lines.join(`\n${ts}`)}\n`)
  }

  let proc: SpawnedProcess
  try {
    proc = opts.runner.spawn({ argv, cwd, env }, (text, stream) => {
      if (stream === 'stdout') write(out.push(text), STDOUT_MARK)
      else write(err.push(text), STDERR_MARK)
    })
  } catch (e) {
    return failedToStart(step, startedAt, now, (e as Error).message)
  }

  let reason: 'timeout' | 'cancelled' | null = null
  const timers: ReturnType<typeof setTimeout>[] = []
  const end = (why: 'timeout' | 'cancelled', killAfterMs: number) => {
    if (reason) return
    reason = why
    proc.killGroup('SIGTERM')
    timers.push(setTimeout(() => proc.killGroup('SIGKILL'), killAfterMs))
  }
  const onAbort = () => end('cancelled', opts.graceMs)
  opts.signal.addEventListener('abort', onAbort, { once: true })
  if (opts.signal.aborted) onAbort()
  if (step.timeout_seconds !== undefined) {
    timers.push(setTimeout(() => end('timeout', TIMEOUT_KILL_DELAY_MS), step.timeout_seconds * 1000))
  }

  const result = await proc.exited
  opts.signal.removeEventListener('abort', onAbort)
  for (const t of timers) clearTimeout(t)
  write(out.flush(), STDOUT_MARK)
  write(err.flush(), STDERR_MARK)

  if (result.error) return failedToStart(step, startedAt, now, result.error)
  const status: StepRecord['status'] =
    reason === 'timeout' ? 'timed_out' : reason === 'cancelled' ? 'cancelled' : result.exitCode === 0 ? 'success' : 'failed'
  return {
    name: step.name,
    status,
    exit_code: result.exitCode,
    signal: result.signal,
    started_at: startedAt.toISOString(),
    duration_ms: now().getTime() - startedAt.getTime(),
  }
}

/** The `PIPELINE_CRON_*` variables of the daemon's environment (the instance marker, the run id). */
function reservedOf(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith(RESERVED_ENV_PREFIX)))
}

function failedToStart(step: PipelineStep, startedAt: Date, now: () => Date, error: string): StepRecord {
  return {
    name: step.name,
    status: 'failed',
    exit_code: null,
    signal: null,
    started_at: startedAt.toISOString(),
    duration_ms: now().getTime() - startedAt.getTime(),
    error,
  }
}

/** Joins a step's `cwd` onto the pipeline folder (absolute `cwd`s are kept as they are). */
export function resolveCwd(base: string, cwd: string | undefined): string {
  if (!cwd) return base
  if (cwd.startsWith('/')) return cwd
  return `${base.replace(/\/+$/, '')}/${cwd}`
}
