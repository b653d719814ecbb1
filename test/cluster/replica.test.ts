/**
 * Cluster mode through HTTP: two API replicas and a worker on the test's own redis-server. Every
 * route answers alike from either replica, whichever worker ran the steps.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pidsWithEnv } from '../helpers/procs.js'
import { waitFor } from '../helpers/wait.js'
import { startRedis, type TestRedis, redisDep } from './redis-server.js'
import { alive, api, pipelineDir, startReplica, startWorker, type ClusterProcess, type Replica } from './support.js'

let redis: TestRedis
let a: Replica
let b: Replica
let worker: ClusterProcess
let dir: string
const procs: ClusterProcess[] = []

beforeAll(async () => {
  redis = await startRedis()
  const p = pipelineDir({
    name: 'cluster-basics',
    steps: [
      // With a file named `long` in its folder, the step also sleeps 30 s (the stop and kill cases).
      { name: 'hello', run: 'echo "hello from $PIPELINE_CRON_RUN_ID"; if [ -f long ]; then echo $$ > step.pid; sleep 30; fi' },
    ],
  })
  dir = p.dir
  a = await startReplica(redis.url, p.file)
  b = await startReplica(redis.url, p.file)
  worker = await startWorker(redis.url, p.file)
  procs.push(a, b, worker)
}, 60_000)

afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL')
  await redis?.stop()
})

describe.skipIf(redisDep.skip)('cluster mode: two API replicas and a worker', () => {
  it('answers not running, pid null and no worker, alike from both replicas - nothing started', async () => {
    const [sa, sb] = await Promise.all([api(a.url, '/api/cron/status'), api(b.url, '/api/cron/status')])
    expect(sa.body).toMatchObject({ is_running: false, pid: null, message: 'Daemon is not running', worker: null })
    expect(sb.body).toEqual(sa.body)
  })

  it('starts from one replica, runs on the worker, and both replicas report the same status, runs and tail', async () => {
    const start = await api(a.url, '/api/cron/start', { method: 'POST', body: { interval_seconds: 2 } })
    expect(start).toMatchObject({ status: 200, body: { success: true, message: 'Daemon started successfully with interval: 2 seconds (cluster mode: run by the workers)' } })
    expect((await api(b.url, '/api/cron/start', { method: 'POST', body: { interval_seconds: 2 } })).status).toBe(409)
    const run = await waitFor(async () => (await api(b.url, '/api/cron/runs')).body.runs.find((r: any) => r.status === 'success'), { what: 'a successful run' })
    expect(run).toMatchObject({ trigger: 'schedule', steps: [{ name: 'hello', status: 'success', exit_code: 0 }] })
    const [runsA, runsB] = await Promise.all([api(a.url, `/api/cron/runs/${run.id}`), api(b.url, `/api/cron/runs/${run.id}`)])
    expect(runsA.body).toEqual(runsB.body)
    const logs = await api(a.url, `/api/cron/runs/${run.id}/logs`)
    expect(logs.body.logs).toContain(`hello from ${run.id}`)
    const [tailA, tailB] = await Promise.all([api(a.url, '/api/cron/logs/tail?lines=5'), api(b.url, '/api/cron/logs/tail?lines=5')])
    expect(tailA.body).toBe(tailB.body)
    const status = (await api(b.url, '/api/cron/status')).body
    expect(status).toMatchObject({ is_running: true, pid: null, schedule: { type: 'interval', interval_seconds: 2 } })
    expect(Date.parse(status.next_run_at)).toBeGreaterThan(Date.now() - 2000)
  })

  it('runs now on a worker and answers with the id of a run that started', async () => {
    const answer = await waitFor(async () => {
      const r = await api(b.url, '/api/cron/run', { method: 'POST' })
      return r.status === 200 ? r : null
    }, { what: 'run-now to be accepted between ticks' })
    const id = answer.body.run_id as string
    const run = (await api(a.url, `/api/cron/runs/${id}`)).body
    expect(run).toMatchObject({ id, trigger: 'manual', scheduled_at: null })
    expect(['running', 'success']).toContain(run.status)
  })

  it('records ticks while paused as skipped (paused), and says so in status - pause from one replica, resume from the other', async () => {
    expect((await api(a.url, '/api/cron/pause', { method: 'POST' })).status).toBe(200)
    expect((await api(b.url, '/api/cron/pause', { method: 'POST' })).status).toBe(409)
    expect((await api(b.url, '/api/cron/status')).body).toMatchObject({ paused: true })
    const skipped = await waitFor(async () => (await api(b.url, '/api/cron/runs')).body.runs.find((r: any) => r.status === 'skipped' && r.reason === 'paused'), { what: 'a tick skipped as paused' })
    expect(skipped.steps).toEqual([])
    expect((await api(b.url, '/api/cron/resume', { method: 'POST' })).status).toBe(200)
  })

  it('delivers a line a worker writes to an SSE client of either replica - the live stream', async () => {
    const abort = new AbortController()
    const res = await fetch(`${a.url}/api/cron/logs/stream?lines=1`, { signal: abort.signal })
    const reader = res.body!.getReader()
    let text = ''
    const before = (await api(b.url, '/api/cron/runs?limit=1')).body.runs[0]?.id
    try {
      const fresh = await waitFor(async () => {
        const { value } = await reader.read()
        text += new TextDecoder().decode(value)
        const ids = [...text.matchAll(/hello from (\S+)/g)].map((m) => m[1])
        return ids.find((id) => id !== before) ?? null
      }, { timeoutMs: 15_000, what: 'a new run line on the stream' })
      // The same line is in the other replica's tail.
      const tail = (await api(b.url, '/api/cron/logs/tail?lines=50')).body as string
      expect(tail).toContain(`hello from ${fresh}`)
    } finally {
      abort.abort()
    }
  })

  it('clears the log from one replica: the other replica\'s stream gets the clear and its tail starts again', async () => {
    const abort = new AbortController()
    const res = await fetch(`${b.url}/api/cron/logs/stream?lines=1`, { signal: abort.signal })
    const reader = res.body!.getReader()
    let text = ''
    try {
      await waitFor(async () => {
        const { value } = await reader.read()
        text += new TextDecoder().decode(value)
        return text.includes(': connected')
      }, { what: 'the stream to connect' })
      const before = ((await api(b.url, '/api/cron/runs?limit=20')).body.runs as any[]).find((r) => r.status === 'success')
      expect((await api(a.url, '/api/cron/logs', { method: 'DELETE' })).body).toMatchObject({ success: true, message: 'Logs cleared successfully' })
      await waitFor(async () => {
        const { value } = await reader.read()
        text += new TextDecoder().decode(value)
        return text.includes('event: clear')
      }, { what: 'the clear on the stream' })
      const tail = (await api(b.url, '/api/cron/logs/tail?lines=1000')).body as string
      // What is left came after the clear (a worker may have written a line in between).
      expect(tail).toMatch(/Audit: .*cleared the logs/)
      expect(tail).not.toContain(`hello from ${before.id}`)
    } finally {
      abort.abort()
    }
  })

  it('serves the dashboard, /health, /metrics and the pipeline list from a replica', async () => {
    const [page, health, metrics, list] = await Promise.all([fetch(`${a.url}/`), api(a.url, '/health'), fetch(`${b.url}/metrics`), api(b.url, '/api/pipelines')])
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<html')
    expect(health.body).toMatchObject({ status: 'healthy' })
    expect(await metrics.text()).toContain('pipeline_cron_daemon_up{pipeline="default"} 1')
    expect(list.body.pipelines).toMatchObject([{ name: 'default', is_running: true }])
  })

  /** Starts the pipeline with its step in a long sleep; the status (seen from the other replica) and the step's pid. */
  async function startLongStep() {
    writeFileSync(join(dir, 'long'), '')
    rmSync(join(dir, 'step.pid'), { force: true })
    expect((await api(a.url, '/api/cron/start', { method: 'POST', body: { interval_seconds: 60 } })).status).toBe(200)
    const status = await waitFor(async () => {
      const s = (await api(b.url, '/api/cron/status')).body
      return s.current_run?.step === 'hello' ? s : null
    }, { what: 'the long step to run' })
    const stepPid = Number(await waitFor(() => readFileSafe(join(dir, 'step.pid')).trim(), { what: 'the step pid' }))
    return { status, stepPid }
  }

  it('stops from the replica that did not start it, and leaves no step process - a step in a 30 s sleep', async () => {
    expect((await api(a.url, '/api/cron/stop', { method: 'POST' })).status).toBe(200)
    const { status, stepPid } = await startLongStep()
    const run = (await api(a.url, `/api/cron/runs/${status.current_run.id}`)).body
    expect(alive(stepPid)).toBe(true)
    const stop = await api(b.url, '/api/cron/stop', { method: 'POST' })
    expect(stop).toMatchObject({ status: 200, body: { success: true, message: 'Daemon stopped successfully', survivors: [], forced: false } })
    expect(alive(stepPid)).toBe(false)
    expect(pidsWithEnv('PIPELINE_CRON_INSTANCE', run.instance_id)).toEqual([])
    expect((await api(a.url, `/api/cron/runs/${run.id}`)).body).toMatchObject({ status: 'cancelled' })
    expect((await api(a.url, '/api/cron/status')).body).toMatchObject({ is_running: false, current_run: null, worker: null })
  }, 60_000)

  it('kills the step of a worker killed with -9 at once, and records its run abandoned within 5 s - the leash', async () => {
    const second = await startWorker(redis.url, join(dir, 'pipeline.json'))
    procs.push(second)
    const { status, stepPid } = await startLongStep()
    const holder = [worker, second].find((w) => w.pid === status.worker.pid)!
    const killedAt = Date.now()
    await holder.kill('SIGKILL')
    await waitFor(() => !alive(stepPid), { timeoutMs: 2000, what: 'the step to die with its worker' })
    const run = await waitFor(async () => {
      const r = (await api(a.url, `/api/cron/runs/${status.current_run.id}`)).body
      return r.status === 'abandoned' ? r : null
    }, { timeoutMs: 8000, what: 'the run to be recorded abandoned' })
    const detectedMs = Date.now() - killedAt
    expect(detectedMs).toBeLessThan(5000)
    expect(run.reason).toMatch(/not run again/)
    expect((await api(b.url, '/api/cron/stop', { method: 'POST' })).status).toBe(200)
  }, 60_000)
})

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}
