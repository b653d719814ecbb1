/**
 * One pipeline's CronController in cluster mode. Start upserts the pipeline's BullMQ job
 * scheduler (its queue's global concurrency is 1: runs never overlap across the cluster); stop
 * removes it and ends the run in progress on whichever worker holds it; run-now enqueues a manual
 * run; status is read from Redis, so every replica answers alike.
 */
import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { ApiError } from '../../src/errors.js'
import { formatLine } from '../../src/log-line.js'
import { counted } from '../../src/plural.js'
import type { CronController, DaemonStatus, LastRun, RunRecord, StopMode } from '../../src/ports.js'
import { createTicker, describeSchedule, nextRuns } from '../../src/schedule.js'
import { askWorker } from './control.js'
import { parseDesired, readDesired, redisNow, withPipelineLock, type ClusterDesired } from './desired.js'
import { SCHEDULER_ID, type PipelineKeys } from './keys.js'
import { abandonRun, parseCurrent } from './ledger.js'
import { clusterRunId } from './run-ids.js'
import { LOCK_MS } from './worker.js'

export interface ClusterControllerOptions {
  name: string
  keys: PipelineKeys
  redis: Redis
  queue: Queue
  /** Reads and validates the pipeline file; throws a ConfigError with a one-line message. */
  checkPipeline: () => Promise<{ steps: number }>
  /** Appends a line to the pipeline's log (a failure to write it is not the request's). */
  note: (text: string) => Promise<void>
  graceMs: number
  drainTimeoutMs: number
  runsKeep: number
  /** How long run-now waits for a worker to start the run. */
  answerTimeoutMs?: number
}

// Beyond the grace: the worker's sweep, and a dead worker's lock running out.
const STOP_SLACK_MS = 5000 + LOCK_MS

export function createClusterController(o: ClusterControllerOptions): CronController {
  const { redis, keys } = o
  const answerTimeoutMs = o.answerTimeoutMs ?? 5000
  const locked = <T>(fn: () => Promise<T>) => withPipelineLock(redis, keys, fn)

  async function write(desired: ClusterDesired) {
    await redis.set(keys.desired, JSON.stringify({ ...desired, updated_at: new Date().toISOString() }))
  }

  return {
    start(request) {
      return locked(async () => {
        const { value } = await readDesired(redis, keys)
        if (value?.state === 'started') return { ok: false, reason: 'already_running', pid: null }
        const { steps } = await o.checkPipeline()
        const instance = `c-${clusterRunId(new Date())}`
        const at = new Date().toISOString()
        // The gap since the last start is not this start's: its first tick has no slot before it.
        await redis.del(keys.cursor)
        await write({ state: 'started', instance_id: instance, schedule: request.schedule, run_immediately: request.runImmediately, started_at: at, paused: false, paused_at: null, stop_mode: null, updated_at: at })
        await o.queue.setGlobalConcurrency(1)
        const s = request.schedule
        const every = s.type === 'interval' ? s.interval_seconds * 1000 : 0
        const repeat = s.type === 'interval' ? { every, ...(request.runImmediately ? {} : { startDate: Date.now() + every }) } : { pattern: s.cron, ...(s.timezone ? { tz: s.timezone } : {}) }
        await o.queue.upsertJobScheduler(SCHEDULER_ID, repeat, { name: 'tick', data: { instance }, opts: { removeOnComplete: true, removeOnFail: true } })
        await o.note(`Daemon started (cluster mode, ${describeSchedule(s)}, pipeline: ${o.name}, ${counted(steps, 'step')})`)
        return { ok: true, pid: null }
      })
    },

    async stop(mode: StopMode) {
      const stopped = await locked(async () => {
        const { value } = await readDesired(redis, keys)
        if (value?.state !== 'started') return null
        // Written first: from now on no worker claims a run of this start.
        await write({ ...value, state: 'stopped', stop_mode: mode })
        await o.queue.removeJobScheduler(SCHEDULER_ID)
        await o.queue.drain(true)
        return value
      })
      if (!stopped) return { ok: false, reason: 'not_running' }
      const current = parseCurrent(await redis.get(keys.current))
      let survivors: number[] = []
      let forced = false
      if (current) {
        const waitMs = (mode === 'drain' ? o.drainTimeoutMs : 0) + o.graceMs + STOP_SLACK_MS
        const answer = await askWorker(redis, o.name, current.id, mode, waitMs)
        if (answer) survivors = answer.survivors
        else {
          // Its worker died (or holds it no more) and did not answer: the run is over for the cluster.
          forced = (await abandonRun(redis, keys, current.id, await redisNow(redis), 'the pipeline was stopped and the worker holding the run did not answer', o.runsKeep)) !== null
        }
      }
      await o.note(`Daemon stopped (cluster mode, mode: ${mode})`)
      return { ok: true, pid: null, survivors, forced }
    },

    async status(): Promise<DaemonStatus> {
      // One round trip: the scheduler's next fire time is its score in BullMQ's `repeat` set.
      const m = redis.multi().get(keys.desired).get(keys.current).get(keys.last).zscore(o.queue.keys.repeat!, SCHEDULER_ID)
      const replies = ((await m.exec()) ?? []) as [Error | null, string | null][]
      const [desiredRaw, currentRaw, lastRaw, nextRaw] = [0, 1, 2, 3].map((i) => replies[i]?.[1] ?? null)
      const desired = parseDesired(desiredRaw ?? null)
      const last = lastRunOf(lastRaw ?? null)
      if (desired?.state !== 'started') {
        return { is_running: false, pid: null, message: 'Daemon is not running', paused: false, schedule: null, started_at: null, next_run_at: null, next_runs: [], current_run: null, last_run: last, worker: null }
      }
      const current = parseCurrent(currentRaw ?? null)
      const next = nextRunsOf(nextRaw ? Number(nextRaw) : null, desired)
      const state = desired.paused ? 'paused' : 'running'
      const on = current ? `; current run on ${current.worker.host}, PID ${current.worker.pid}` : ''
      const { worker: _w, instance_id: _i, ...currentRun } = current ?? { worker: null, instance_id: null }
      return {
        is_running: true,
        pid: null,
        message: `Daemon is ${state} (cluster mode${on})`,
        paused: desired.paused,
        schedule: desired.schedule,
        started_at: desired.started_at,
        next_run_at: next[0] ?? null,
        next_runs: next,
        current_run: current ? (currentRun as DaemonStatus['current_run']) : null,
        last_run: last,
        worker: current?.worker ?? null,
      }
    },

    async runNow() {
      const { value } = await readDesired(redis, keys)
      if (value?.state !== 'started') return { ok: false, reason: 'not_running', detail: 'Daemon is not running' }
      const current = parseCurrent(await redis.get(keys.current))
      if (current) return { ok: false, reason: 'busy', detail: `A run is in progress (${current.id})` }
      const runId = clusterRunId(new Date(await redisNow(redis)))
      const job = await o.queue.add('manual', { instance: value.instance_id, run_id: runId }, { jobId: `manual-${runId}`, removeOnComplete: true, removeOnFail: true })
      const deadline = Date.now() + answerTimeoutMs
      for (;;) {
        const text = await redis.hget(keys.runs, runId)
        if (text) {
          const run = JSON.parse(text) as RunRecord
          if (run.status === 'skipped') return { ok: false, reason: 'busy', detail: run.reason ?? 'A run is in progress' }
          return { ok: true, runId }
        }
        if (Date.now() >= deadline) break
        await new Promise((r) => setTimeout(r, 25))
      }
      // No worker took it in time: take it back, unless one took it just now.
      const removed = await job.remove().then(() => true, () => false)
      if (!removed || (await redis.hexists(keys.runs, runId))) return { ok: true, runId }
      throw new ApiError(503, `No worker started the run within ${Math.round(answerTimeoutMs / 1000)} s (are workers running? pipeline-cron worker --redis …). No run was started.`)
    },

    pause: () => toggle(true),
    resume: () => toggle(false),
  }

  function toggle(paused: boolean) {
    return locked(async () => {
      const { value } = await readDesired(redis, keys)
      if (value?.state !== 'started') return { ok: false as const, reason: 'not_running' as const, detail: 'Daemon is not running' }
      if (value.paused === paused) return { ok: false as const, reason: 'conflict' as const, detail: paused ? 'The pipeline is already paused' : 'The pipeline is not paused' }
      await write({ ...value, paused, paused_at: paused ? await redisNow(redis) : null })
      await o.note(paused ? 'Pipeline paused: scheduled runs are skipped until it is resumed' : 'Pipeline resumed')
      return { ok: true as const }
    })
  }
}

/** The next five fire times: BullMQ's next job, then the schedule from there. */
function nextRunsOf(next: number | null, desired: ClusterDesired): string[] {
  if (!next) return []
  const first = new Date(next)
  const ticker = createTicker(desired.schedule, first)
  return [first, ...nextRuns(ticker, first, 4)].map((d) => d.toISOString())
}

function lastRunOf(text: string | null): LastRun | null {
  if (!text) return null
  try {
    const r = JSON.parse(text) as RunRecord
    return { id: r.id, status: r.status, started_at: r.started_at, finished_at: r.finished_at, duration_ms: r.duration_ms }
  } catch {
    return null
  }
}
