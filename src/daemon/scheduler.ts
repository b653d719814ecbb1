/**
 * One started pipeline inside the daemon: its ticks (t0 + k * interval, or cron), the overlap
 * rule (a tick during a run is skipped and recorded), pause, run-now and stop. Every change of
 * its state is written to its state.json and handed to `onChange` (pushed to the API servers).
 */
import { formatLine } from '../log-line.js'
import type { Pipeline } from '../pipeline.js'
import type { JsonFile, LogWriter, ProcessControl, ProcessRunner, RunHistory, RunRecord, StopMode } from '../ports.js'
import { counted } from '../plural.js'
import { daemonVariables, folderOf, runPipeline } from '../run-pipeline.js'
import { createTicker, describeSchedule } from '../schedule.js'
import type { DesiredState, PipelineLive, PipelineStateFile, Refusal } from './protocol.js'
import { newRunId } from './run-id.js'
import { createStateWriter } from './state-writer.js'
import { sweepTree } from './sweep.js'
import { createNotifier, eventsOf, type Notifier } from './webhooks.js'

export interface SchedulerOptions {
  desired: DesiredState
  /** This start's marker: every step of the pipeline carries it (PIPELINE_CRON_INSTANCE). */
  instanceId: string
  daemon: { pid: number; instanceId: string; runtime: string }
  pipeline: Pipeline
  runner: ProcessRunner
  procs: ProcessControl
  log: LogWriter
  runs: RunHistory
  stateFile: JsonFile<PipelineStateFile>
  /** The daemon's own environment, passed on to every step. */
  env: Record<string, string>
  graceMs: number
  drainTimeoutMs: number
  /** How webhooks are sent (the pipeline's `notify` list says where): `fetch` and the secrets' environment. */
  webhooks?: { fetch: typeof fetch; env: Record<string, string | undefined>; retryDelaysMs?: number[] }
  onChange: (live: PipelineLive) => void
  now?: () => Date
}

export type RunNowOutcome = { ok: true; runId: string } | { ok: false; refusal: Refusal; detail: string }
export type Refused = { refusal: Refusal; detail: string }

export interface PipelineScheduler {
  live(): PipelineLive
  /**
   * Arms the schedule (and the first run, unless `resumed` or told not to). `abandoned`: the runs a
   * dead daemon left, now recorded as such; their `failure` webhooks go out.
   */
  start(opts: { resumed: boolean; abandoned?: RunRecord[] }): Promise<void>
  /** Resolves once the run is recorded and shown in the state (or with why it was refused). */
  runNow(): Promise<RunNowOutcome>
  pause(): Refused | null
  resume(): Refused | null
  /** `cancel` ends the current run, `drain` lets it finish; then the tree is swept. */
  stop(mode: StopMode, reason?: string): Promise<{ survivors: number[] }>
}

// setTimeout's delay is a 32-bit int: longer waits are re-armed in slices.
const MAX_TIMER_MS = 2 ** 31 - 1

export function createScheduler(options: SchedulerOptions): PipelineScheduler {
  const now = options.now ?? (() => new Date())
  const { desired, pipeline } = options
  const name = desired.home.name
  const ticker = createTicker(desired.schedule, new Date(desired.anchor))
  let live: PipelineLive = {
    instance_id: options.instanceId,
    started_at: now().toISOString(),
    schedule: desired.schedule,
    anchor: desired.anchor,
    next_run_at: null,
    current_run: null,
    last_run: null,
    paused: desired.paused,
    stopping: null,
  }
  let timer: ReturnType<typeof setTimeout> | null = null
  let nextAt: Date | null = null
  let current: { id: string; abort: AbortController; recorded: Promise<unknown>; done: Promise<void>; ending?: boolean } | null = null
  let stopping: Promise<{ survivors: number[] }> | null = null
  const line = (text: string) => options.log.append(formatLine(text, now()))
  const notifier: Notifier | null =
    pipeline.notify?.length && options.webhooks
      ? createNotifier({
          pipeline: name,
          targets: pipeline.notify,
          ...options.webhooks,
          log: line,
          // Deliveries in flight go into the state file: after a crash they are reported as lost.
          onPending: () => void publish({}),
        })
      : null

  const stateWriter = createStateWriter(options.stateFile, line)
  function publish(patch: Partial<PipelineLive>) {
    live = { ...live, ...patch }
    options.onChange(live)
    return stateWriter.write(stateFile())
  }

  function stateFile(): PipelineStateFile {
    return {
      ...live,
      pid: options.daemon.pid,
      daemon_instance: options.daemon.instanceId,
      runtime: options.daemon.runtime,
      run_immediately: desired.run_immediately,
      pipeline_file: desired.home.file,
      pending_webhooks: notifier?.pending() ?? [],
    }
  }

  // The last finished run's status: a success after a failure is a `recovery`.
  let lastFinal: RunRecord['status'] | null = null
  function finished(record: RunRecord) {
    for (const event of eventsOf(record, lastFinal)) notifier?.send(event, record)
    if (record.status !== 'skipped') lastFinal = record.status
  }

  function arm(after: Date) {
    nextAt = ticker.next(after)
    void publish({ next_run_at: nextAt?.toISOString() ?? null })
    if (nextAt) wait()
  }

  function wait() {
    if (!nextAt || stopping) return
    timer = setTimeout(onTimer, Math.min(Math.max(nextAt.getTime() - now().getTime(), 0), MAX_TIMER_MS))
  }

  function onTimer() {
    timer = null
    if (!nextAt || stopping) return
    // Timers may fire a little early, or a slice of a long wait may end: wait for the real time.
    if (now().getTime() < nextAt.getTime()) return wait()
    const due = nextAt
    tick(due)
    arm(due)
  }

  function tick(due: Date) {
    if (live.paused) return skip(due, 'paused', 'Skipping scheduled run: the pipeline is paused')
    if (current) return skip(due, `previous run ${current.id} still in progress`, `Skipping scheduled run: the previous run (${current.id}) is still in progress`)
    begin('schedule', due)
  }

  function skip(due: Date, reason: string, message: string) {
    line(message)
    const at = now().toISOString()
    const record: RunRecord = {
      id: newRunId(now()),
      instance_id: options.instanceId,
      trigger: 'schedule',
      status: 'skipped',
      reason,
      scheduled_at: due.toISOString(),
      started_at: at,
      finished_at: at,
      duration_ms: 0,
      steps: [],
    }
    void options.runs.append(record).catch(() => undefined)
    finished(record)
  }

  function begin(trigger: RunRecord['trigger'], scheduledAt: Date | null): { id: string; recorded: Promise<unknown> } {
    const abort = new AbortController()
    const id = newRunId(now())
    const startedAt = now().toISOString()
    const base = { id, trigger, started_at: startedAt, step: null, index: 0, total: pipeline.steps.length, step_started_at: null }
    // The run is recorded before anything of it is reported or run: a daemon killed at any moment
    // after leaves a `running` record for the next one to mark `abandoned`, never a run without one.
    const recorded = options.runs
      .append({ id, instance_id: options.instanceId, trigger, status: 'running', scheduled_at: scheduledAt?.toISOString() ?? null, started_at: startedAt, finished_at: null, duration_ms: null, steps: [] })
      .catch((err) => line(`Warning: could not record run ${id}: ${(err as Error).message}`))
      .then(() => publish({ current_run: base }))
    const done = recorded.then(() => runPipeline({
      id,
      instanceId: options.instanceId,
      trigger,
      scheduledAt,
      pipeline,
      pipelineDir: folderOf(desired.home.file),
      runner: options.runner,
      log: options.log,
      baseEnv: options.env,
      ownEnv: daemonVariables({ instanceId: options.instanceId, pipeline: name, runId: id, scheduledAt }),
      signal: abort.signal,
      graceMs: options.graceMs,
      now,
      onStep: (index, step, at) => void publish({ current_run: { ...base, step: step.name, index: index + 1, step_started_at: at.toISOString() } }),
    }).then((ran): RunRecord => ({ ...ran, started_at: startedAt, duration_ms: Date.parse(ran.finished_at ?? startedAt) - Date.parse(startedAt) })))
      .then(async (record) => {
        // It started when its tick fired (as its `running` record says), not when its steps began. The record goes first: a status that sees no current run finds the result recorded.
        if (current?.id === id) current.ending = true
        await options.runs.append(record).catch((err) => line(`Warning: could not record run ${id}: ${(err as Error).message}`))
        const { status, started_at, finished_at, duration_ms } = record
        current = null
        finished(record)
        await publish({ current_run: null, last_run: { id, status, started_at, finished_at, duration_ms } })
      })
      .catch((err) => {
        current = null
        line(`Run ${id} crashed: ${(err as Error).message}`)
        void publish({ current_run: null })
      })
    current = { id, abort, recorded, done }
    return current
  }

  async function shutdown(mode: StopMode, reason?: string): Promise<{ survivors: number[] }> {
    if (timer) clearTimeout(timer)
    timer = null
    nextAt = null
    await publish({ stopping: mode, next_run_at: null })
    if (current) {
      const run = current
      if (mode === 'drain') {
        line('Stop requested (drain): waiting for the current run to finish')
        let timeout: ReturnType<typeof setTimeout> | undefined
        const drained = await Promise.race([run.done.then(() => true), new Promise<false>((resolve) => (timeout = setTimeout(resolve, options.drainTimeoutMs, false)))])
        clearTimeout(timeout)
        if (!drained) {
          line(`Drain took longer than ${Math.round(options.drainTimeoutMs / 1000)}s: cancelling the run`)
          run.abort.abort()
        }
      } else run.abort.abort()
      await run.done
    }
    const { killed, left: survivors } = await sweepTree(options.procs, options.instanceId)
    if (killed.length) line(`Killed ${killed.length} leftover process(es) of the pipeline: ${killed.join(', ')}`)
    if (survivors.length) line(`Could not kill ${survivors.length} process(es) of the pipeline: ${survivors.join(', ')}`)
    notifier?.abandon('the pipeline stopped')
    line(`Daemon stopped (PID: ${options.daemon.pid}${reason ? `, ${reason}` : ''})`)
    await stateWriter.close()
    await options.stateFile.remove().catch(() => undefined)
    options.log.close()
    return { survivors }
  }

  return {
    live: () => live,
    async start({ resumed, abandoned = [] }) {
      const history = await options.runs.list(50).catch(() => [] as RunRecord[])
      const last = history.find((r) => r.status !== 'running' && r.status !== 'skipped')
      const before = history.find((r) => r.status !== 'running' && r.status !== 'skipped' && !abandoned.some((a) => a.id === r.id))
      lastFinal = before?.status ?? null
      for (const record of abandoned) finished(record)
      live = {
        ...live,
        // A fresh start's ticks are counted from its anchor; a resumed one says when it came back.
        started_at: resumed ? now().toISOString() : desired.anchor,
        last_run: last ? { id: last.id, status: last.status, started_at: last.started_at, finished_at: last.finished_at, duration_ms: last.duration_ms } : null,
      }
      const t0 = now()
      const first = ticker.next(t0)
      await publish({ next_run_at: first?.toISOString() ?? null })
      const what = `${describeSchedule(desired.schedule)}, pipeline: ${pipeline.name}, ${counted(pipeline.steps.length, 'step')}`
      line(resumed ? `Daemon resumed after restart (PID: ${options.daemon.pid}, ${what})` : `Daemon started (PID: ${options.daemon.pid}, ${what})`)
      if (live.paused) line('The pipeline is paused: scheduled runs are skipped until it is resumed')
      // Interval schedules run at start unless told not to; a resumed pipeline waits for its next tick.
      if (desired.run_immediately && !resumed && !live.paused) begin('schedule', new Date(desired.anchor))
      // Started means the run at start is recorded and shown: a status right after the start has it.
      await current?.recorded
      arm(t0)
    },
    async runNow() {
      // A run whose steps are over is only being recorded (already readable in the history): wait for it.
      if (current?.ending) await current.done
      if (stopping) return { ok: false, refusal: 'stopping', detail: 'Daemon is stopping' }
      if (current) return { ok: false, refusal: 'busy', detail: `A run is in progress (${current.id})` }
      // Answered once the run is recorded and pushed: a status right after run-now shows it.
      const run = begin('manual', null)
      return run.recorded.then(() => ({ ok: true as const, runId: run.id }))
    },
    pause() {
      if (live.paused) return { refusal: 'paused', detail: 'The pipeline is already paused' }
      line('Pipeline paused: scheduled runs are skipped until it is resumed')
      void publish({ paused: true })
      return null
    },
    resume() {
      if (!live.paused) return { refusal: 'not_paused', detail: 'The pipeline is not paused' }
      line('Pipeline resumed')
      void publish({ paused: false })
      return null
    },
    stop(mode, reason) {
      // A second request may only tighten a drain into a cancel.
      if (stopping) {
        if (mode === 'cancel' && live.stopping === 'drain') {
          live = { ...live, stopping: 'cancel' }
          current?.abort.abort()
        }
        return stopping
      }
      return (stopping = shutdown(mode, reason))
    },
  }
}
