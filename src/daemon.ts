import { formatLine } from './log-line.js'
import type { Pipeline } from './pipeline.js'
import type { CurrentRun, DaemonState, LogWriter, ProcessControl, ProcessRunner, RunHistory, RunRecord, StateStore, StopMode } from './ports.js'
import { INSTANCE_ENV } from './ports.js'
import { runPipeline } from './run-pipeline.js'
import { createTicker, describeSchedule, type Schedule } from './schedule.js'
import { sweepTree } from './sweep-tree.js'

export interface DaemonOptions {
  instanceId: string
  pid: number
  runtime: string
  schedule: Schedule
  runImmediately: boolean
  pipeline: Pipeline
  pipelineFile: string
  pipelineDir: string
  runner: ProcessRunner
  procs: ProcessControl
  log: LogWriter
  runs: RunHistory
  state: StateStore
  /** The daemon's own environment, passed on to every step. */
  env: Record<string, string>
  graceMs: number
  now?: () => Date
}

export interface Daemon {
  /** Claims the state file and arms the schedule; false when another daemon holds the state. */
  start(): Promise<boolean>
  /** Starts a manual run now; false when a run is already going or the daemon is stopping. */
  runNow(): boolean
  /** `cancel` ends the current run; `drain` lets it finish. Resolves once everything is down. */
  stop(mode: StopMode): Promise<void>
  /** Settles when the daemon has stopped. */
  readonly stopped: Promise<void>
}

// setTimeout's delay is a 32-bit int: longer waits are re-armed in slices.
const MAX_TIMER_MS = 2 ** 31 - 1

/** The scheduling loop that runs inside the daemon process. */
export function createDaemon(o: DaemonOptions): Daemon {
  const now = o.now ?? (() => new Date())
  const t0 = now()
  const ticker = createTicker(o.schedule, t0)
  let state: DaemonState = {
    pid: o.pid,
    instance_id: o.instanceId,
    runtime: o.runtime,
    started_at: t0.toISOString(),
    schedule: o.schedule,
    run_immediately: o.runImmediately,
    pipeline_file: o.pipelineFile,
    next_run_at: null,
    current_run: null,
    stopping: null,
  }
  let timer: ReturnType<typeof setTimeout> | null = null
  let nextAt: Date | null = null
  let current: { abort: AbortController; done: Promise<void> } | null = null
  let stopping: Promise<void> | null = null
  let resolveStopped!: () => void
  const stopped = new Promise<void>((r) => (resolveStopped = r))
  const line = (text: string) => o.log.append(formatLine(text, now()))
  // State writes are serialised so an older snapshot never lands after a newer one.
  let writes = Promise.resolve()
  const publish = (patch: Partial<DaemonState>) => {
    state = { ...state, ...patch }
    const snapshot = state
    writes = writes.then(() => o.state.write(snapshot)).catch((err) => line(`Warning: could not write state: ${(err as Error).message}`))
    return writes
  }

  function arm(after: Date) {
    nextAt = ticker.next(after)
    void publish({ next_run_at: nextAt?.toISOString() ?? null })
    if (nextAt) schedule()
  }

  function schedule() {
    if (!nextAt || stopping) return
    const wait = nextAt.getTime() - now().getTime()
    timer = setTimeout(onTimer, Math.min(Math.max(wait, 0), MAX_TIMER_MS))
  }

  function onTimer() {
    timer = null
    if (!nextAt || stopping) return
    // Timers may fire a little early, or a slice of a long wait may end: wait for the real time.
    if (now().getTime() < nextAt.getTime()) return schedule()
    const due = nextAt
    tick(due)
    arm(due)
  }

  function tick(due: Date) {
    if (current) {
      const skipped = skippedRecord(due)
      line(`Skipping scheduled run: the previous run (${state.current_run?.id ?? 'unknown'}) is still in progress`)
      void o.runs.append(skipped).catch(() => undefined)
      return
    }
    begin('schedule', due)
  }

  function skippedRecord(due: Date): RunRecord {
    const at = now().toISOString()
    return {
      id: newRunId(now()),
      instance_id: o.instanceId,
      trigger: 'schedule',
      status: 'skipped',
      reason: state.current_run ? `previous run ${state.current_run.id} still in progress` : 'previous run still in progress',
      scheduled_at: due.toISOString(),
      started_at: at,
      finished_at: at,
      duration_ms: 0,
      steps: [],
    }
  }

  function begin(trigger: RunRecord['trigger'], scheduledAt: Date | null) {
    const abort = new AbortController()
    const id = newRunId(now())
    const startedAt = now().toISOString()
    const total = o.pipeline.steps.length
    const run: CurrentRun = { id, trigger, started_at: startedAt, step: null, index: 0, total, step_started_at: null }
    void publish({ current_run: run })
    void o.runs
      .append({ id, instance_id: o.instanceId, trigger, status: 'running', scheduled_at: scheduledAt?.toISOString() ?? null, started_at: startedAt, finished_at: null, duration_ms: null, steps: [] })
      .catch(() => undefined)
    const done = runPipeline({
      id,
      instanceId: o.instanceId,
      trigger,
      scheduledAt,
      pipeline: o.pipeline,
      pipelineDir: o.pipelineDir,
      runner: o.runner,
      log: o.log,
      baseEnv: { ...o.env, [INSTANCE_ENV]: o.instanceId, PIPELINE_CRON_RUN_ID: id },
      signal: abort.signal,
      graceMs: o.graceMs,
      now,
      onStep: (index, step, at) =>
        void publish({ current_run: { ...run, step: step.name, index: index + 1, step_started_at: at.toISOString() } }),
    })
      .then(async (record) => {
        await o.runs.append(record).catch((err) => line(`Warning: could not record run ${id}: ${(err as Error).message}`))
      })
      .catch((err) => line(`Run ${id} crashed: ${(err as Error).message}`))
      .finally(() => {
        current = null
        void publish({ current_run: null })
      })
    current = { abort, done }
  }

  async function sweepLeftovers() {
    // A step's children may have left its process group (setsid, nohup &): find them by marker.
    const { killed, left } = await sweepTree(o.procs, o.instanceId, { spare: [o.pid], now: () => now().getTime() })
    if (killed.length) line(`Killed ${killed.length} leftover process(es) of the pipeline: ${killed.join(', ')}`)
    if (left.length) line(`Could not kill ${left.length} process(es) of the pipeline: ${left.join(', ')}`)
  }

  async function shutdown(mode: StopMode) {
    if (timer) clearTimeout(timer)
    timer = null
    nextAt = null
    await publish({ stopping: mode, next_run_at: null })
    if (current) {
      if (mode === 'drain') line('Stop requested (drain): waiting for the current run to finish')
      else current.abort.abort()
      await current.done
    }
    await sweepLeftovers()
    line(`Daemon stopped (PID: ${o.pid})`)
    await writes
    await o.state.remove(o.instanceId)
    o.log.close()
    resolveStopped()
  }

  return {
    stopped,
    async start() {
      // The first fire time goes into the state it is created with: a status right after start shows it.
      state = { ...state, next_run_at: ticker.next(t0)?.toISOString() ?? null }
      if (!(await o.state.create(state))) return false
      line(
        `Daemon started (PID: ${o.pid}, ${describeSchedule(o.schedule)}, pipeline: ${o.pipeline.name}, ${o.pipeline.steps.length} steps)`,
      )
      // Interval schedules default to a run at start, as the seed's daemon loop does.
      if (o.runImmediately) begin('schedule', t0)
      arm(t0)
      return true
    },
    runNow() {
      if (current || stopping) return false
      begin('manual', null)
      return true
    },
    stop(mode) {
      // A second request may only tighten a drain into a cancel.
      if (stopping) {
        if (mode === 'cancel' && state.stopping === 'drain') {
          state.stopping = 'cancel'
          current?.abort.abort()
        }
        return stopping
      }
      stopping = shutdown(mode)
      return stopping
    },
  }
}

/** Sortable, unique run ids: `20261128T195100Z-1a2b`. */
export function newRunId(at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  const rand = Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, '0')
  return `${stamp}-${rand}`
}
