/**
 * Runs a claimed run on this worker: the steps through the leashed runner, the step in progress
 * published for status, the result recorded once, the run's stray processes swept, webhooks sent.
 * Times come from this host's clock set to Redis's (measured when the run was claimed).
 */
import { linuxProcesses } from '../posix/process-control.js'
import { formatLine } from '../../src/log-line.js'
import type { Pipeline } from '../../src/pipeline.js'
import type { RunRecord } from '../../src/ports.js'
import { daemonVariables, runPipeline } from '../../src/run-pipeline.js'
import { sweepTree } from '../../src/daemon/sweep.js'
import { createNotifier, eventsOf } from '../../src/daemon/webhooks.js'
import type { ClusterDesired } from './desired.js'
import { parseDesired } from './desired.js'
import { finishRun, updateCurrent, type ClusterCurrent } from './ledger.js'
import { leashedRunner } from './leashed-runner.js'
import type { PipelineContext } from './context.js'

export interface ClaimedRun {
  pipeline: Pipeline
  desired: ClusterDesired
  record: RunRecord
  current: ClusterCurrent
  /** Redis time when it was claimed. */
  now: number
  jobId: string
  /** BullMQ's: aborted by `worker.cancelJob` (a stop) or when the job's lock is lost. */
  signal: AbortSignal | undefined
}

// A stop's message may be lost while the worker reconnects: the desired state is looked at this often too.
const DESIRED_POLL_MS = 1000

export async function executeRun(ctx: PipelineContext, run: ClaimedRun): Promise<void> {
  const offset = run.now - Date.now()
  const now = () => new Date(Date.now() + offset)
  const { id } = run.record
  const abort = new AbortController()
  run.signal?.addEventListener('abort', () => abort.abort(), { once: true })
  let finish!: (value: { survivors: number[] }) => void
  const done = new Promise<{ survivors: number[] }>((resolve) => (finish = resolve))
  ctx.held.set(id, { jobId: run.jobId, cancel: () => abort.abort(), done })
  const poll = setInterval(() => {
    void ctx.redis
      .get(ctx.keys.desired)
      .then((raw) => {
        const desired = parseDesired(raw)
        const stopped = !desired || desired.state !== 'started' || desired.instance_id !== run.desired.instance_id
        if (stopped && desired?.stop_mode !== 'drain') abort.abort()
      })
      .catch(() => undefined)
  }, DESIRED_POLL_MS)
  let survivors: number[] = []
  try {
    const dir = ctx.file.slice(0, Math.max(1, ctx.file.lastIndexOf('/')))
    const scheduledAt = run.record.scheduled_at ? new Date(run.record.scheduled_at) : null
    const record = await runPipeline({
      id,
      instanceId: run.desired.instance_id,
      trigger: run.record.trigger,
      scheduledAt,
      pipeline: run.pipeline,
      pipelineDir: dir,
      runner: leashedRunner,
      log: ctx.log,
      baseEnv: process.env as Record<string, string>,
      ownEnv: daemonVariables({ instanceId: run.desired.instance_id, pipeline: ctx.name, runId: id, scheduledAt }),
      signal: abort.signal,
      graceMs: ctx.graceMs,
      now,
      onStep: (index, step, at) =>
        void updateCurrent(ctx.redis, ctx.keys, { ...run.current, step: step.name, index: index + 1, step_started_at: at.toISOString() }).catch(() => undefined),
    })
    const final: RunRecord = { ...record, started_at: run.record.started_at, duration_ms: Date.parse(record.finished_at!) - Date.parse(run.record.started_at) }
    const previous = await lastStatus(ctx)
    if (await finishRun(ctx.redis, ctx.keys, final, ctx.runsKeep)) notify(ctx, run.pipeline, final, previous)
    else ctx.log.append(formatLine(`Run ${id} had already been recorded as ended (its worker was taken for dead): its result (${final.status}) is not recorded`, now()))
  } finally {
    clearInterval(poll)
    // A step's children that left its process group would run on with no run to stop them.
    const swept = await sweepTree(linuxProcesses, run.desired.instance_id).catch(() => ({ killed: [], left: [] }))
    if (swept.killed.length) ctx.log.append(formatLine(`Killed ${swept.killed.length} leftover process(es) of run ${id}: ${swept.killed.join(', ')}`, now()))
    survivors = [...swept.killed, ...swept.left]
    ctx.held.delete(id)
    finish({ survivors })
  }
}

/** Sends the run's webhooks (the pipeline's `notify`), from this worker, as the local daemon does. */
export function notify(ctx: PipelineContext, pipeline: Pipeline, record: RunRecord, previous: RunRecord['status'] | null) {
  if (!pipeline.notify?.length) return
  const events = eventsOf(record, previous)
  if (events.length === 0) return
  const notifier = createNotifier({
    pipeline: ctx.name,
    targets: pipeline.notify,
    env: process.env,
    fetch,
    log: (text) => ctx.log.append(formatLine(text, new Date())),
  })
  for (const event of events) notifier.send(event, record)
}

async function lastStatus(ctx: PipelineContext): Promise<RunRecord['status'] | null> {
  const text = await ctx.redis.get(ctx.keys.last).catch(() => null)
  if (!text) return null
  try {
    return (JSON.parse(text) as RunRecord).status
  } catch {
    return null
  }
}
