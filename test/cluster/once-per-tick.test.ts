/**
 * Each tick once, with the real parts: the test's own redis-server, 2 API replicas and 3 workers
 * as separate processes, a 1 s interval. Every ~10 ticks the worker running the current step is
 * killed with -9 (and another started); Redis itself is stopped and started again once. Then the
 * records, and the file the steps append their slot to, must show: one record per slot, no slot
 * run twice, no gap, no two runs at once, killed runs `abandoned`. CLUSTER_TICKS=1000 is the soak
 * (`npm run soak:cluster`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pidsWithEnv } from '../helpers/procs.js'
import { waitFor } from '../helpers/wait.js'
import { checkLedger, parseExecutions, percentile, type Run } from './ledger-checks.js'
import { startRedis, type TestRedis, redisDep } from './redis-server.js'
import { alive, api, pipelineDir, startReplica, startWorker, type ClusterProcess, type Replica } from './support.js'

const TICKS = Number(process.env.CLUSTER_TICKS ?? 120)
const KILL_EVERY_TICKS = 10
const INTERVAL_MS = 1000
const KEEP = String(Math.max(1000, TICKS * 3))

let redis: TestRedis
let replicas: Replica[] = []
let workers: ClusterProcess[] = []
const everyone: ClusterProcess[] = []
const { dir, file } = pipelineDir({
  name: 'once-per-tick',
  steps: [{ name: 'tick', run: 'echo "start $PIPELINE_CRON_SCHEDULED_AT $(date +%s%3N) $$" >> exec.log; sleep 0.4; echo "end $PIPELINE_CRON_SCHEDULED_AT $(date +%s%3N)" >> exec.log' }],
})
const worker = async () => {
  const w = await startWorker(redis.url, file, ['--runs-keep', KEEP])
  everyone.push(w)
  return w
}

beforeAll(async () => {
  redis = await startRedis()
  replicas = [await startReplica(redis.url, file, ['--runs-keep', KEEP]), await startReplica(redis.url, file, ['--runs-keep', KEEP])]
  everyone.push(...replicas)
  workers = [await worker(), await worker(), await worker()]
}, 60_000)

afterAll(async () => {
  for (const p of everyone) await p.kill('SIGKILL')
  await redis?.stop()
})

/** A call that may meet Redis restarting (the replica then answers 500): null instead of throwing. */
async function tryApi(base: string, path: string) {
  try {
    const r = await api(base, path)
    return r.status === 200 ? r.body : null
  } catch {
    return null
  }
}

describe.skipIf(redisDep.skip)('cluster mode: each tick once', () => {
  it(`records each of ${TICKS} ticks exactly once, runs none twice and none at once - 3 workers, one killed with -9 every ${KILL_EVERY_TICKS} ticks, Redis restarted once`, async () => {
    const [a, b] = replicas as [Replica, Replica]
    expect((await api(a.url, '/api/cron/start', { method: 'POST', body: { interval_seconds: 1 } })).status).toBe(200)
    // The live stream of replica A, for the whole test.
    const streamAbort = new AbortController()
    let streamText = ''
    const streamStarted = Date.now()
    void fetch(`${a.url}/api/cron/logs/stream?lines=1`, { signal: streamAbort.signal }).then(async (res) => {
      const decoder = new TextDecoder()
      for await (const chunk of res.body!) streamText += decoder.decode(chunk as Uint8Array, { stream: true })
    }).catch(() => undefined)

    const kills: { runId: string; at: number; holder: number }[] = []
    let firstSlot: number | null = null
    let recorded = 0
    let redisRestart: { downMs: number; atTick: number } | null = null
    const deadline = Date.now() + TICKS * INTERVAL_MS * 2 + 60_000
    while (recorded < TICKS) {
      expect(Date.now()).toBeLessThan(deadline)
      const runs = (await tryApi(b.url, '/api/cron/runs?limit=20'))?.runs as Run[] | undefined
      const slots = (runs ?? []).filter((r) => r.scheduled_at).map((r) => Date.parse(r.scheduled_at!))
      if (slots.length) {
        firstSlot ??= Math.min(...slots)
        recorded = Math.round((Math.max(...slots) - firstSlot) / INTERVAL_MS) + 1
      }
      if (recorded >= (kills.length + 1) * KILL_EVERY_TICKS && recorded < TICKS) {
        // The worker running the current step, as either replica reports it.
        const from = kills.length % 2 ? a : b
        const status = await waitFor(async () => {
          const s = await tryApi(from.url, '/api/cron/status')
          return s?.current_run?.step && s.worker ? s : null
        }, { timeoutMs: 15_000, what: 'a step in progress' })
        const holder = workers.find((w) => w.pid === status.worker.pid)!
        expect(holder).toBeDefined()
        await holder.kill('SIGKILL')
        kills.push({ runId: status.current_run.id, at: Date.now(), holder: holder.pid })
        workers = [...workers.filter((w) => w !== holder), await worker()]
      }
      if (!redisRestart && recorded >= TICKS / 2) {
        const down = Date.now()
        await redis.kill('SIGTERM')
        // Down for a second: longer than a tick, shorter than a worker's lock.
        await new Promise((r) => setTimeout(r, 1000))
        await redis.restart()
        redisRestart = { downMs: Date.now() - down, atTick: recorded }
      }
      await new Promise((r) => setTimeout(r, 200))
    }

    // Stop from the replica that did not start it, while a step runs: no step process is left.
    const status = await waitFor(async () => {
      const s = await tryApi(a.url, '/api/cron/status')
      return s?.current_run?.step ? s : null
    }, { timeoutMs: 15_000, what: 'a step in progress to stop' })
    const lastRun = (await api(a.url, `/api/cron/runs/${status.current_run.id}`)).body as Run & { instance_id: string }
    const stop = await api(b.url, '/api/cron/stop', { method: 'POST' })
    expect(stop).toMatchObject({ status: 200, body: { survivors: [] } })
    expect(pidsWithEnv('PIPELINE_CRON_INSTANCE', lastRun.instance_id)).toEqual([])
    const executions = parseExecutions(readFileSync(join(dir, 'exec.log'), 'utf8'))
    for (const e of executions) expect(alive(e.pid)).toBe(false)

    const runs = (await api(a.url, `/api/cron/runs?limit=100000`)).body.runs as Run[]
    const records = new Map(runs.map((r) => [r.id, r]))
    const killedAt = new Map<string, number>()
    for (const k of kills) {
      const run = records.get(k.runId)!
      // A kill that came as the step was ending finds its run finished before it.
      expect(run.status === 'abandoned' || Date.parse(run.finished_at!) <= k.at).toBe(true)
      if (run.scheduled_at) killedAt.set(run.scheduled_at, k.at)
    }
    const report = checkLedger(runs, executions, INTERVAL_MS, killedAt)
    expect(report.duplicateRecords).toEqual([])
    expect(report.executedTwice).toEqual([])
    expect(report.gaps).toEqual([])
    expect(report.recordOverlaps).toEqual([])
    expect(report.executionOverlaps).toEqual([])
    expect(report.executionsWithoutRun).toEqual([])
    expect(report.ticks).toBeGreaterThanOrEqual(TICKS)
    // A step that never wrote its end was on a killed worker (or the final stop): its run is not a success.
    for (const e of executions.filter((x) => x.end === null)) expect(['abandoned', 'cancelled']).toContain(runs.find((r) => r.scheduled_at === e.slot)!.status)
    const abandoned = runs.filter((r) => r.status === 'abandoned')
    const detection = kills.map((k) => records.get(k.runId)!).filter((r) => r.status === 'abandoned').map((r) => Date.parse(r.finished_at!) - kills.find((k) => k.runId === r.id)!.at)
    expect(Math.max(...detection)).toBeLessThan(5000)

    // Both replicas tell the same story, and the stream of A carried what the workers wrote.
    const [sa, sb] = await Promise.all([api(a.url, '/api/cron/status'), api(b.url, '/api/cron/status')])
    expect(sa.body).toEqual(sb.body)
    const [ta, tb] = await Promise.all([api(a.url, '/api/cron/logs/tail?lines=200'), api(b.url, '/api/cron/logs/tail?lines=200')])
    expect(ta.body).toBe(tb.body)
    streamAbort.abort()
    const streamed = runs.filter((r) => r.status === 'success' && Date.parse(r.started_at) > streamStarted + 2000)
    const missing = streamed.filter((r) => !streamText.includes(`Run ${r.id} (trigger: schedule)`))
    expect(missing.map((r) => r.id)).toEqual([])

    const summary = {
      ticks: report.ticks,
      records: runs.length,
      by_status: report.byStatus,
      kills: kills.length,
      abandoned: abandoned.length,
      detection_ms: { p50: percentile(detection, 50), max: Math.max(...detection) },
      redis_restart: redisRestart,
      duplicate_records: report.duplicateRecords.length,
      executed_twice: report.executedTwice.length,
      gaps: report.gaps.length,
      overlaps: report.recordOverlaps.length + report.executionOverlaps.length,
      streamed_runs_checked: streamed.length,
    }
    console.log(`cluster once-per-tick: ${JSON.stringify(summary)}`)
    if (process.env.CLUSTER_REPORT) {
      mkdirSync(join(process.env.CLUSTER_REPORT, '..'), { recursive: true })
      writeFileSync(process.env.CLUSTER_REPORT, JSON.stringify(summary, null, 2))
    }
  }, TICKS * INTERVAL_MS * 2 + 120_000)
})
