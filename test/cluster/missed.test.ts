/** Ticks no worker could start in time are recorded `missed`, each once, and the schedule goes on. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/wait.js'
import { startRedis, type TestRedis, redisDep } from './redis-server.js'
import { api, pipelineDir, startReplica, startWorker, type ClusterProcess } from './support.js'

let redis: TestRedis
const procs: ClusterProcess[] = []

beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL')
  await redis?.stop()
})

describe.skipIf(redisDep.skip)('cluster mode: missed ticks', () => {
  it('records every tick that came while no worker ran as missed, once, then runs the next - no worker for 4 s, deadline 1 s', async () => {
    const { file } = pipelineDir({ name: 'missed', starting_deadline_seconds: 1, steps: [{ name: 'hello', run: 'echo hello' }] })
    const replica = await startReplica(redis.url, file)
    procs.push(replica)
    expect((await api(replica.url, '/api/cron/start', { method: 'POST', body: { interval_seconds: 1 } })).status).toBe(200)
    // No worker yet: the ticks pile up unrecorded until one comes (bounded by the clock, not a poll).
    await new Promise((r) => setTimeout(r, 4000))
    procs.push(await startWorker(redis.url, file))
    const runs = await waitFor(async () => {
      const all = (await api(replica.url, '/api/cron/runs?limit=100')).body.runs as any[]
      return all.some((r) => r.status === 'success') ? all : null
    }, { what: 'a run after the missed ticks' })
    const scheduled = runs.filter((r) => r.scheduled_at).sort((x, y) => Date.parse(x.scheduled_at) - Date.parse(y.scheduled_at))
    const missed = scheduled.filter((r) => r.status === 'missed')
    expect(missed.length).toBeGreaterThanOrEqual(3)
    expect(missed[0].reason).toBe('no worker started it within 1s of its time (starting_deadline_seconds)')
    expect(missed.every((r) => r.steps.length === 0)).toBe(true)
    // One record per slot, none left out, the missed ones first.
    const slots = scheduled.map((r) => Date.parse(r.scheduled_at))
    expect(new Set(slots).size).toBe(slots.length)
    for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBe(1000)
    expect(scheduled.findIndex((r) => r.status !== 'missed')).toBe(missed.length)
    const metrics = await (await fetch(`${replica.url}/metrics`)).text()
    expect(metrics).toContain(`pipeline_cron_runs_total{pipeline="default",status="missed"} ${missed.length}`)
    expect((await api(replica.url, '/api/cron/stop', { method: 'POST' })).status).toBe(200)
  })
})
