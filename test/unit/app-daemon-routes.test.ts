/**
 * start / stop / status / run-now / pause / resume through `app.request()`, wired with the REAL
 * controller, link, keeper, supervisor and scheduler over a memory machine (test/fakes/system.ts).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createMemorySystem, type MemorySystem, type MemorySystemOptions } from '../fakes/system.js'
import { waitFor } from '../helpers/wait.js'
import { expectErrorBody, expectIsoTimestamp, req } from './http.js'

let sys: MemorySystem | null = null
function system(o: MemorySystemOptions = {}) {
  sys = createMemorySystem(o)
  return sys
}
afterEach(async () => {
  await sys?.shutdown()
  sys = null
})

const lastRunStatus = async (s: MemorySystem) => (await req(s.app, 'GET', '/api/cron/status')).body.last_run?.status

describe('POST /api/cron/start', () => {
  it('returns 200 with the original message - interval schedule', async () => {
    const s = system()
    const a = await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    expect(a.status).toBe(200)
    const pid = s.launcher.launches[0]!.pid
    expect(a.body).toEqual({ success: true, message: `Daemon started successfully with interval: 60 seconds (PID: ${pid})`, timestamp: expect.any(String) })
    expectIsoTimestamp(a.body.timestamp)
    expect((await s.desired.read()).value).toMatchObject({ state: 'started', schedule: { type: 'interval', interval_seconds: 60 }, run_immediately: true })
    expect(s.table.isAlive(pid)).toBe(true)
  })

  it('runs the pipeline once at start - interval schedule, run_immediately by default', async () => {
    const s = system()
    await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    expect(await waitFor(() => lastRunStatus(s))).toBe('success')
    expect(s.runner.spawned.map((p) => p.command)).toEqual(['extract', 'node transform.js', 'load'])
  })

  it('does not run at start - run_immediately false', async () => {
    const s = system()
    const a = await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60, run_immediately: false } })
    expect(a.status).toBe(200)
    expect((await s.desired.read()).value!.run_immediately).toBe(false)
    const status = (await req(s.app, 'GET', '/api/cron/status')).body
    expect(status.current_run).toBeNull()
    expect(s.runner.spawned).toEqual([])
  })

  it('uses the original default of 120 seconds - no body at all', async () => {
    const s = system()
    const a = await req(s.app, 'POST', '/api/cron/start')
    expect(a.status).toBe(200)
    expect(a.body.message).toMatch(/^Daemon started successfully with interval: 120 seconds \(PID: \d+\)$/)
  })

  it('returns 200 and does not run at start - cron schedule with a time zone', async () => {
    const s = system()
    const a = await req(s.app, 'POST', '/api/cron/start', { json: { cron: '*/5 * * * *', timezone: 'Europe/Berlin' } })
    expect(a.status).toBe(200)
    expect(a.body.message).toMatch(/^Daemon started successfully with cron: \*\/5 \* \* \* \* \(Europe\/Berlin\) \(PID: \d+\)$/)
    expect((await s.desired.read()).value).toMatchObject({ schedule: { type: 'cron', cron: '*/5 * * * *', timezone: 'Europe/Berlin' }, run_immediately: false })
    const status = (await req(s.app, 'GET', '/api/cron/status')).body
    expect(status.schedule).toEqual({ type: 'cron', cron: '*/5 * * * *', timezone: 'Europe/Berlin' })
    const next = new Date(status.next_run_at)
    expect(next.getUTCMinutes() % 5).toBe(0)
    expect(next.getUTCSeconds()).toBe(0)
    expect(next.getTime()).toBeGreaterThan(Date.now() - 1000)
    expect(next.getTime()).toBeLessThanOrEqual(Date.now() + 5 * 60_000)
    expect(s.runner.spawned).toEqual([])
  })

  it('returns 409 - daemon already running', async () => {
    const s = system()
    await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    const pid = s.launcher.launches[0]!.pid
    const a = await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 30 } })
    expectErrorBody(a, 409, `Daemon is already running (PID: ${pid})`)
    expect(s.launcher.launches).toHaveLength(1)
  })

  it('starts exactly one daemon - ten concurrent starts', async () => {
    const s = system()
    const answers = await Promise.all(Array.from({ length: 10 }, () => req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })))
    expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(9).fill(409)])
    expect(s.launcher.launches).toHaveLength(1)
  })

  it('writes an audit line to the log - start', async () => {
    const s = system()
    await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    expect(s.logFile.text).toMatch(/\] Audit: unknown address started the daemon with interval: 60 seconds \(PID: \d+\)\n/)
  })
})

describe('POST /api/cron/stop', () => {
  it('returns 200 and leaves nothing running - cancel (default)', async () => {
    const s = system({ scripts: { extract: { hang: true } } })
    await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    const pid = s.launcher.launches[0]!.pid
    await waitFor(() => s.runner.spawned.length === 1)
    const a = await req(s.app, 'POST', '/api/cron/stop')
    expect(a.status).toBe(200)
    expect(a.body).toEqual({ success: true, message: 'Daemon stopped successfully', timestamp: expect.any(String), survivors: [], forced: false })
    // Asked over the control channel, the daemon stops the run and exits on its own: it is never signalled.
    expect(s.table.signalsTo(pid)).toEqual([])
    expect(s.table.isAlive(pid)).toBe(false)
    expect(s.runner.spawned[0]!.signals).toEqual(['SIGTERM'])
    expect(await s.state.read()).toEqual({ value: null })
    const runs = (await req(s.app, 'GET', '/api/cron/runs')).body.runs
    expect(runs[0]).toMatchObject({ status: 'cancelled', steps: [{ name: 'extract', status: 'cancelled', signal: 'SIGTERM' }, { name: 'transform', status: 'not_run' }, { name: 'load', status: 'not_run' }] })
    expect(s.logFile.text).toMatch(/\[1\/3\] extract cancelled in \d+\.\d\ds\n/)
    expect(s.logFile.text).toMatch(/\] Daemon stopped \(PID: \d+\)\n/)
  })

  it('lets the current run finish - mode drain', async () => {
    const s = system({ scripts: { extract: { exitAfterMs: 60 } } })
    await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    const pid = s.launcher.launches[0]!.pid
    await waitFor(() => s.runner.spawned.length === 1)
    const a = await req(s.app, 'POST', '/api/cron/stop', { json: { mode: 'drain' } })
    expect(a.status).toBe(200)
    expect(s.table.signalsTo(pid)).toEqual([])
    expect(s.runner.spawned.map((p) => p.signals)).toEqual([[], [], []])
    const runs = (await req(s.app, 'GET', '/api/cron/runs')).body.runs
    expect(runs[0]).toMatchObject({ status: 'success' })
    expect(s.logFile.text).toContain('Stop requested (drain): waiting for the current run to finish')
  })

  it('returns 409 - daemon not running', async () => {
    const s = system()
    expectErrorBody(await req(s.app, 'POST', '/api/cron/stop'), 409, 'Daemon is not running')
  })

  it('returns 409 - second stop after a stop', async () => {
    const s = system()
    await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    expect((await req(s.app, 'POST', '/api/cron/stop')).status).toBe(200)
    expectErrorBody(await req(s.app, 'POST', '/api/cron/stop'), 409, 'Daemon is not running')
  })
})

describe('GET /api/cron/status', () => {
  it('reports the original fields and nulls - stopped, never run', async () => {
    const s = system()
    const a = await req(s.app, 'GET', '/api/cron/status')
    expect(a.status).toBe(200)
    expect(a.body).toEqual({
      is_running: false,
      pid: null,
      message: 'Daemon is not running',
      paused: false,
      schedule: null,
      started_at: null,
      next_run_at: null,
      next_runs: [],
      current_run: null,
      last_run: null,
    })
  })

  it('reports schedule, next_run_at at t0 + interval and last_run - running after a run', async () => {
    const s = system()
    await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    await waitFor(() => lastRunStatus(s))
    const pid = s.launcher.launches[0]!.pid
    const st = (await req(s.app, 'GET', '/api/cron/status')).body
    expect(st).toMatchObject({ is_running: true, pid, message: `Daemon is running (PID: ${pid})`, schedule: { type: 'interval', interval_seconds: 60 }, current_run: null })
    expectIsoTimestamp(st.started_at)
    expect(Date.parse(st.next_run_at) - Date.parse(st.started_at)).toBe(60_000)
    expect(st.next_runs).toHaveLength(5)
    expect(Date.parse(st.next_runs[1]) - Date.parse(st.next_runs[0])).toBe(60_000)
    expect(st.last_run).toEqual({ id: expect.any(String), status: 'success', started_at: expect.any(String), finished_at: expect.any(String), duration_ms: expect.any(Number) })
  })

  it('reports the step in progress - current_run during a run', async () => {
    const s = system({ scripts: { 'node transform.js': { hang: true } } })
    await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    const run = await waitFor(async () => (await req(s.app, 'GET', '/api/cron/status')).body.current_run?.step === 'transform' && (await req(s.app, 'GET', '/api/cron/status')).body.current_run)
    expect(run).toMatchObject({ step: 'transform', index: 2, total: 3, trigger: 'schedule' })
  })

  it('keeps last_run after the daemon stopped - stopped', async () => {
    const s = system({ scripts: { load: { exitCode: 3 } } })
    await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    await waitFor(() => lastRunStatus(s))
    await req(s.app, 'POST', '/api/cron/stop')
    const st = (await req(s.app, 'GET', '/api/cron/status')).body
    expect(st).toMatchObject({ is_running: false, pid: null, message: 'Daemon is not running', schedule: null, next_run_at: null })
    expect(st.last_run.status).toBe('failed')
  })
})

describe('POST /api/cron/run', () => {
  it('starts a manual run and returns its id - daemon idle', async () => {
    const s = system()
    await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60, run_immediately: false } })
    const a = await req(s.app, 'POST', '/api/cron/run')
    expect(a.status).toBe(200)
    expect(a.body).toMatchObject({ success: true, message: 'Run started', run_id: expect.any(String) })
    const pid = s.launcher.launches[0]!.pid
    expect(s.table.signalsTo(pid)).toEqual([])
    const run = await waitFor(async () => {
      const r = (await req(s.app, 'GET', `/api/cron/runs/${a.body.run_id}`)).body
      return r.status === 'success' && r
    })
    expect(run.trigger).toBe('manual')
  })

  it('returns 409 - daemon not running', async () => {
    const s = system()
    expectErrorBody(await req(s.app, 'POST', '/api/cron/run'), 409, 'Daemon is not running')
  })

  it('returns 409 - a run is in progress', async () => {
    const s = system({ scripts: { extract: { hang: true } } })
    await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    const run = await waitFor(async () => (await s.state.read()).value?.current_run)
    expectErrorBody(await req(s.app, 'POST', '/api/cron/run'), 409, `A run is in progress (${run.id})`)
  })
})

describe('POST /api/cron/pause and /api/cron/resume', () => {
  it('pauses, shows it in status, then returns 409 - paused twice', async () => {
    const s = system()
    await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60, run_immediately: false } })
    const a = await req(s.app, 'POST', '/api/cron/pause')
    expect(a.body).toMatchObject({ success: true, message: 'Pipeline paused: scheduled runs are skipped until it is resumed' })
    expect((await req(s.app, 'GET', '/api/cron/status')).body).toMatchObject({ is_running: true, paused: true, message: expect.stringMatching(/^Daemon is paused \(PID: \d+\)$/) })
    expectErrorBody(await req(s.app, 'POST', '/api/cron/pause'), 409, 'The pipeline is already paused')
    expect(s.logFile.text).toMatch(/\] Audit: unknown address paused the pipeline\n/)
  })

  it('resumes, then returns 409 - resumed twice', async () => {
    const s = system()
    await req(s.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60, run_immediately: false } })
    await req(s.app, 'POST', '/api/cron/pause')
    expect((await req(s.app, 'POST', '/api/cron/resume')).body).toMatchObject({ success: true, message: 'Pipeline resumed' })
    expect((await req(s.app, 'GET', '/api/cron/status')).body.paused).toBe(false)
    expectErrorBody(await req(s.app, 'POST', '/api/cron/resume'), 409, 'The pipeline is not paused')
  })

  it('returns 409 - daemon not running', async () => {
    const s = system()
    expectErrorBody(await req(s.app, 'POST', '/api/cron/pause'), 409, 'Daemon is not running')
    expectErrorBody(await req(s.app, 'POST', '/api/cron/resume'), 409, 'Daemon is not running')
  })
})

describe('several pipelines', () => {
  const two = () => system({ pipelines: { orders: { name: 'orders', steps: [{ name: 'a', run: 'a' }] }, users: { name: 'users', steps: [{ name: 'b', run: 'b' }, { name: 'c', run: 'c' }] } } })

  it('lists every pipeline with its state, sorted by name - GET /api/pipelines, one of two started', async () => {
    const s = two()
    expect((await req(s.app, 'POST', '/api/pipelines/users/start', { json: { interval_seconds: 60, run_immediately: false } })).status).toBe(200)
    const { pipelines } = (await req(s.app, 'GET', '/api/pipelines')).body
    expect(pipelines).toEqual([
      { name: 'orders', steps: 1, error: null, is_running: false, paused: false, schedule: null, next_run_at: null, current_run: null, last_run: null },
      { name: 'users', steps: 2, error: null, is_running: true, paused: false, schedule: { type: 'interval', interval_seconds: 60 }, next_run_at: expect.any(String), current_run: null, last_run: null },
    ])
  })

  it('runs both in the one daemon and stops one by name, leaving the other - /api/pipelines/{name}/…', async () => {
    const s = two()
    const a = await req(s.app, 'POST', '/api/pipelines/orders/start', { json: { interval_seconds: 60, run_immediately: false } })
    const b = await req(s.app, 'POST', '/api/pipelines/users/start', { json: { interval_seconds: 30, run_immediately: false } })
    expect(b.body.message).toBe(a.body.message.replace('60', '30'))
    expect(s.launcher.launches).toHaveLength(1)
    expect((await req(s.app, 'POST', '/api/pipelines/orders/stop')).status).toBe(200)
    expect((await req(s.app, 'GET', '/api/pipelines/orders/status')).body.is_running).toBe(false)
    expect((await req(s.app, 'GET', '/api/pipelines/users/status')).body).toMatchObject({ is_running: true, schedule: { type: 'interval', interval_seconds: 30 } })
    expect(s.pipeline('orders').logFile.text).toMatch(/\] Audit: unknown address stopped the daemon \(PID: \d+, mode: cancel\)\n$/)
    expect(s.pipeline('users').logFile.text).not.toContain('stopped the daemon')
  })

  it('returns 404 on /api/cron - several pipelines, none named default', async () => {
    const s = two()
    expectErrorBody(await req(s.app, 'GET', '/api/cron/status'), 404, /^No default pipeline: /)
  })

  it('returns 404 - a name no pipeline file has', async () => {
    const s = two()
    expectErrorBody(await req(s.app, 'POST', '/api/pipelines/nope/start'), 404, 'Pipeline not found: nope (see GET /api/pipelines)')
    expect(s.launcher.launches).toEqual([])
  })
})
