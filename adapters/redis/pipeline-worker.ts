/**
 * What a worker does with one job of a pipeline's queue (a tick of its scheduler, or a manual
 * run): read the ledger, account for the slots BullMQ coalesced, and claim the run, all checked
 * in one atomic commit; then run it. A job that comes back after its worker died finds its run
 * already claimed: that run is recorded `abandoned`, and nothing is run again.
 */
import type { Job } from 'bullmq'
import { formatLine } from '../../src/log-line.js'
import type { Pipeline } from '../../src/pipeline.js'
import type { RunRecord } from '../../src/ports.js'
import { parseDesired, type ClusterDesired } from './desired.js'
import type { JobData, PipelineContext } from './context.js'
import { executeRun, notify } from './execute-run.js'
import { abandonRun, commit, readFacts, type ClusterCurrent, type LedgerFacts, type SlotRecord } from './ledger.js'
import { clusterRunId, slotOfJob } from './run-ids.js'
import { decideTick, startingDeadlineMs, type SlotVerdict, type TickDecision } from './tick-decision.js'

// A commit that finds the ledger moved is read and tried again; more than this is a bug.
const MAX_ATTEMPTS = 20
// Log lines for a long gap: the first ones, then a count.
const MAX_GAP_LINES = 20

export async function processJob(ctx: PipelineContext, job: Job<JobData>, signal: AbortSignal | undefined): Promise<void> {
  const manual = job.name === 'manual'
  const slot = manual ? null : slotOfJob(job.id)
  if (!manual && slot === null) return
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const facts = await readFacts(ctx.redis, ctx.keys, slot)
    const desired = parseDesired(facts.desiredRaw)
    // A job of a start that was stopped since: nothing is due.
    if (!desired || desired.state !== 'started' || desired.instance_id !== job.data.instance) return
    const claimed = manual ? ((await ctx.redis.hexists(ctx.keys.runs, job.data.run_id ?? '')) ? job.data.run_id! : null) : facts.slotRun
    if (claimed) return void (await abandon(ctx, claimed, facts.now, 'the worker running it stopped answering (killed, or cut off from Redis): it is not run again'))
    if (facts.current && !(await ctx.isAlive(facts.current.worker))) {
      await abandon(ctx, facts.current.id, facts.now, `its worker (${facts.current.worker.host}, PID ${facts.current.worker.pid}) stopped beating`)
      continue
    }
    let pipeline: Pipeline
    try {
      pipeline = await ctx.load()
    } catch (err) {
      const failed = verdictRecord(desired, { slot: slot ?? facts.now, status: 'skipped', reason: '' }, facts.now, manual ? job.data.run_id : undefined)
      const record: RunRecord = { ...failed, status: 'failed', reason: `the pipeline file cannot be used: ${(err as Error).message}`, scheduled_at: slot === null ? null : failed.scheduled_at }
      if ((await commit(ctx.redis, ctx.keys, facts, [{ slot, record }], null, ctx.runsKeep)) === 'ok') ctx.log.append(formatLine(`Run ${record.id} failed: ${record.reason}`, new Date(facts.now)))
      else continue
      return
    }
    const decision = decide(facts, desired, pipeline, slot)
    const records: SlotRecord[] = decision.gaps.map((v) => ({ slot: v.slot, record: verdictRecord(desired, v, facts.now) }))
    let run: { record: RunRecord; current: ClusterCurrent } | null = null
    if (decision.self.status === 'run') run = claim(ctx, desired, pipeline, slot, facts.now, manual ? job.data.run_id! : clusterRunId(new Date(facts.now)))
    else records.push({ slot, record: verdictRecord(desired, decision.self, facts.now, manual ? job.data.run_id : undefined) })
    if (run) records.push({ slot, record: run.record })
    const result = await commit(ctx.redis, ctx.keys, facts, records, run?.current ?? null, ctx.runsKeep)
    if (result !== 'ok') continue
    report(ctx, pipeline, records.filter((r) => r.record.status !== 'running').map((r) => r.record), facts.now)
    if (run) await executeRun(ctx, { pipeline, desired, record: run.record, current: run.current, now: facts.now, jobId: job.id!, signal })
    return
  }
  throw new Error(`pipeline ${ctx.name}: the ledger kept changing under job ${job.id}`)
}

function decide(facts: LedgerFacts, desired: ClusterDesired, pipeline: Pipeline, slot: number | null): TickDecision {
  const busy = facts.current ? [...facts.busy, { start: Date.parse(facts.current.started_at), end: facts.now + 1, id: facts.current.id }] : facts.busy
  if (slot === null) {
    // Run-now while a run goes (a race with another replica's run-now): refused, as locally.
    const self = facts.current ? { slot: facts.now, status: 'skipped' as const, reason: `a run is in progress (${facts.current.id})` } : { slot: facts.now, status: 'run' as const }
    return { gaps: [], self }
  }
  return decideTick({
    slot,
    now: facts.now,
    cursor: facts.cursorRaw ? Number(facts.cursorRaw) : null,
    schedule: desired.schedule,
    busy,
    pausedSince: desired.paused ? desired.paused_at : null,
    deadlineMs: startingDeadlineMs(desired.schedule, pipeline.starting_deadline_seconds),
  })
}

function claim(ctx: PipelineContext, desired: ClusterDesired, pipeline: Pipeline, slot: number | null, now: number, id: string) {
  const startedAt = new Date(now).toISOString()
  const trigger = slot === null ? 'manual' : 'schedule'
  const record: RunRecord = { id, instance_id: desired.instance_id, trigger, status: 'running', scheduled_at: slot === null ? null : new Date(slot).toISOString(), started_at: startedAt, finished_at: null, duration_ms: null, steps: [] }
  const current: ClusterCurrent = { id, trigger, started_at: startedAt, step: null, index: 0, total: pipeline.steps.length, step_started_at: null, worker: ctx.worker, instance_id: desired.instance_id }
  return { record, current }
}

function verdictRecord(desired: ClusterDesired, v: SlotVerdict, now: number, id?: string): RunRecord {
  const at = new Date(now).toISOString()
  const manual = id !== undefined
  return {
    id: id ?? clusterRunId(new Date(v.slot)),
    instance_id: desired.instance_id,
    trigger: manual ? 'manual' : 'schedule',
    status: v.status,
    reason: v.reason,
    scheduled_at: manual ? null : new Date(v.slot).toISOString(),
    started_at: at,
    finished_at: at,
    duration_ms: 0,
    steps: [],
  }
}

/** Log lines (and webhooks) for the ticks recorded without a run. */
function report(ctx: PipelineContext, pipeline: Pipeline, records: RunRecord[], now: number) {
  const at = new Date(now)
  records.slice(0, MAX_GAP_LINES).forEach((r) => {
    const what = r.trigger === 'manual' ? `Manual run ignored: ${r.reason}` : `${r.status === 'missed' ? 'Missed' : 'Skipping'} scheduled run: ${r.scheduled_at}: ${r.reason}`
    ctx.log.append(formatLine(what, at))
  })
  if (records.length > MAX_GAP_LINES) ctx.log.append(formatLine(`Skipping scheduled run: ${records.length - MAX_GAP_LINES} more ticks recorded without a run (see the run history)`, at))
  for (const r of records.slice(-MAX_GAP_LINES)) notify(ctx, pipeline, r, null)
}

async function abandon(ctx: PipelineContext, id: string, now: number, why: string) {
  const record = await abandonRun(ctx.redis, ctx.keys, id, now, why, ctx.runsKeep)
  if (!record) return
  ctx.log.append(formatLine(`Run ${id} abandoned: ${why}`, new Date(now)))
  const pipeline = await ctx.load().catch(() => null)
  if (pipeline) notify(ctx, pipeline, record, null)
}
