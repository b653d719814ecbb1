/**
 * README "Upgrading": a 0.2 server started on a 0.1 state dir and log reads the 0.1 run history
 * as it is and appends to both.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { call, FIXTURES, startServer, tempDir } from '../helpers/server.js'
import { isAlive, killAll, pidsWithEnv } from '../helpers/procs.js'
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

  it('reports a 0.1 daemon still running as running, refuses a second daemon beside it, and stops it with its step - 0.1 server gone, its daemon not', { timeout: 60_000 }, async (ctx) => {
    const dir = tempDir('pc-upgrade-live-')
    mkdirSync(join(dir, 'state'))
    // A stand-in for the 0.1 daemon: `--instance=<id>` on its command line, as 0.1 launched it, and
    // a step that inherited the marker.
    const id = randomUUID()
    const daemon = spawn('sh', ['-c', 'sleep 60 & wait', `--instance=${id}`], { detached: true, stdio: 'ignore', env: { ...process.env, PIPELINE_CRON_INSTANCE: id } })
    ctx.onTestFinished(() => killAll(pidsWithEnv('PIPELINE_CRON_INSTANCE', id)))
    await waitFor(() => pidsWithEnv('PIPELINE_CRON_INSTANCE', id).length === 2, { what: 'the stand-in and its step' })
    const pid = daemon.pid!
    const v01State = { pid, instance_id: id, runtime: 'node', started_at: '2026-11-28T10:14:00.000Z', schedule: { type: 'interval', interval_seconds: 60 }, run_immediately: false, pipeline_file: join(dir, 'pipeline.json'), next_run_at: null, current_run: null, stopping: null }
    writeFileSync(join(dir, 'state', 'state.json'), JSON.stringify(v01State, null, 2))
    const server = await startServer({ dir, pipeline: { name: 'hello', steps: [{ name: 'hello', run: [process.execPath, join(FIXTURES, 'print-lines.mjs'), '1'] }] } })
    ctx.onTestFinished(() => server.cleanup())

    const status = (await call(server.url, 'GET', '/api/cron/status')).body
    expect(status).toMatchObject({ is_running: true, pid, started_at: v01State.started_at })
    expect(status.message).toMatch(/a pipeline-cron 0\.1 daemon/)
    // Not taken for a corrupt file: nothing moved aside.
    expect(readdirSync(join(dir, 'state')).filter((f) => f.includes('corrupt'))).toEqual([])
    const second = await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } })
    expect(second.status, second.text).toBe(409)
    expect(second.body.detail).toBe(`Daemon is already running (PID: ${pid})`)

    const stop = await call(server.url, 'POST', '/api/cron/stop')
    expect(stop.status, stop.text).toBe(200)
    expect(stop.body).toMatchObject({ success: true, forced: false })
    expect(isAlive(pid)).toBe(false)
    expect(pidsWithEnv('PIPELINE_CRON_INSTANCE', id)).toEqual([])
    expect(existsSync(join(dir, 'state', 'state.json'))).toBe(false)
    expect((await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } })).status).toBe(200)
  })
})
