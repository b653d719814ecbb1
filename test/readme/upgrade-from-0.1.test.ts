/**
 * README "Upgrading": a 0.2 server started on a 0.1 state dir and log reads the 0.1 run history
 * as it is and appends to both.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { call, FIXTURES, startServer, tempDir } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'

// Records as 0.1 wrote them: no `attempts` on steps, no `not_run`, `reason` only when it had one.
const V01_RUNS = [
  { id: '20261128T101500Z-0a1b', instance_id: 'c0ffee00-0000-4000-8000-000000000001', trigger: 'schedule', status: 'success', scheduled_at: '2026-11-28T10:15:00.000Z', started_at: '2026-11-28T10:15:00.004Z', finished_at: '2026-11-28T10:15:01.204Z', duration_ms: 1200, steps: [{ name: 'hello', status: 'success', exit_code: 0, signal: null, started_at: '2026-11-28T10:15:00.010Z', duration_ms: 1190 }] },
  { id: '20261128T101600Z-0c2d', instance_id: 'c0ffee00-0000-4000-8000-000000000001', trigger: 'manual', status: 'failed', reason: 'step hello exited with code 1', scheduled_at: null, started_at: '2026-11-28T10:16:00.004Z', finished_at: '2026-11-28T10:16:00.504Z', duration_ms: 500, steps: [{ name: 'hello', status: 'failed', exit_code: 1, signal: null, started_at: '2026-11-28T10:16:00.010Z', duration_ms: 490 }] },
]
const V01_LOG = '[2026-11-28 10:15:00] ========== Pipeline execution started ==========\n[2026-11-28 10:15:01] ========== Pipeline execution finished: success (1/1 steps, 1.20s) ==========\n'

describe('upgrading from 0.1', () => {
  it('lists the 0.1 runs, answers each by id, and appends the next run to the same runs.jsonl and log', { timeout: 60_000 }, async (ctx) => {
    const dir = tempDir('pc-upgrade-')
    mkdirSync(join(dir, 'state'))
    writeFileSync(join(dir, 'state', 'runs.jsonl'), V01_RUNS.map((r) => `${JSON.stringify(r)}\n`).join(''))
    writeFileSync(join(dir, 'pipeline.log'), V01_LOG)
    const server = await startServer({ dir, pipeline: { name: 'hello', steps: [{ name: 'hello', run: [process.execPath, join(FIXTURES, 'print-lines.mjs'), '1'] }] } })
    ctx.onTestFinished(() => server.cleanup())

    const before = await call(server.url, 'GET', '/api/cron/runs')
    expect(before.status).toBe(200)
    expect(before.body.runs.map((r: { id: string }) => r.id)).toEqual([V01_RUNS[1]!.id, V01_RUNS[0]!.id])
    expect((await call(server.url, 'GET', `/api/cron/runs/${V01_RUNS[1]!.id}`)).body).toEqual(V01_RUNS[1])

    expect((await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } })).status).toBe(200)
    await waitFor(async () => (await call(server.url, 'GET', '/api/cron/status')).body.last_run?.status === 'success', { timeoutMs: 20_000, what: 'the first 0.2 run' })
    const after = (await call(server.url, 'GET', '/api/cron/runs')).body.runs
    expect(after).toHaveLength(3)
    expect(after.slice(1)).toEqual([V01_RUNS[1], V01_RUNS[0]])
    expect(readFileSync(join(dir, 'pipeline.log'), 'utf8').startsWith(V01_LOG)).toBe(true)
    expect(readFileSync(join(dir, 'state', 'runs.jsonl'), 'utf8').startsWith(V01_RUNS.map((r) => `${JSON.stringify(r)}\n`).join(''))).toBe(true)
  })
})
