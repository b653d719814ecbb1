/**
 * Schedules as seen from outside: cron starts, ticks at t0 + k * interval without drift,
 * run_immediately: false, the overlap skip, and a drain stop that lets the run finish.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { call, expectError, fixture, ISO_MS, logText, serverForTest, serverWithPipeline, startDaemon, treeOf, waitFor, waitForFile, waitForFinishedRuns } from '../helpers/real-server.js'
import { quickPipeline } from './support.js'

describe('schedules', () => {
  it('starts on a cron expression in a time zone, next_run_at on a 5-minute boundary - cron body', async () => {
    const server = await serverForTest({ pipeline: quickPipeline() })
    const res = await call(server.url, 'POST', '/api/cron/start', { json: { cron: '*/5 * * * *', timezone: 'Europe/Berlin' } })
    expect(res.status, res.text).toBe(200)
    expect(res.body.message).toMatch(/^Daemon started successfully with .*\(PID: \d+\)$/)
    const status = (await call(server.url, 'GET', '/api/cron/status')).body
    expect(status).toMatchObject({ is_running: true, schedule: { type: 'cron', cron: '*/5 * * * *', timezone: 'Europe/Berlin' } })
    expect(status.next_run_at).toMatch(ISO_MS)
    const next = new Date(status.next_run_at)
    // Berlin is a whole number of hours off UTC, so the boundary shows in UTC too.
    expect(next.getUTCMinutes() % 5).toBe(0)
    expect(next.getUTCSeconds()).toBe(0)
    expect(next.getTime()).toBeGreaterThan(Date.now())
    expect(next.getTime()).toBeLessThanOrEqual(Date.now() + 5 * 60_000)
  })

  it('ticks at t0 + k * interval with no run at start - run_immediately false', async () => {
    const server = await serverForTest({ pipeline: quickPipeline() })
    await startDaemon(server, { interval_seconds: 1, run_immediately: false })
    const t0 = Date.parse((await call(server.url, 'GET', '/api/cron/status')).body.started_at)
    const runs = await waitForFinishedRuns(server, 3)
    const scheduled = runs
      .filter((r: any) => r.trigger === 'schedule' && r.status !== 'skipped')
      .map((r: any) => Date.parse(r.scheduled_at))
      .sort((a: number, b: number) => a - b)
    // The first tick is one interval after start (none at t0), and every tick is on the grid.
    expect(scheduled[0]).toBe(t0 + 1000)
    for (const at of scheduled) expect((at - t0) % 1000).toBe(0)
    expect(new Set(scheduled).size).toBe(scheduled.length)
  })

  it('skips a tick and says so - tick while the previous run is still going', async () => {
    const server = await serverForTest({
      pipeline: { name: 'slow', steps: [{ name: 'nap', run: fixture('sleep.mjs', '2.5') }] },
    })
    await startDaemon(server, { interval_seconds: 1 })
    const skipped = await waitFor(async () => {
      const runs = (await call(server.url, 'GET', '/api/cron/runs')).body.runs as any[]
      return runs.find((r) => r.status === 'skipped')
    }, { timeoutMs: 20_000, what: 'a skipped run' })
    expect(skipped).toMatchObject({ trigger: 'schedule', reason: expect.any(String) })
    expect(logText(server)).toMatch(/skip/i)
    // Never two runs at once.
    const runs = (await call(server.url, 'GET', '/api/cron/runs')).body.runs as any[]
    expect(runs.filter((r) => r.status === 'running').length).toBeLessThanOrEqual(1)
  })

  it('lets the current run finish, then stops - stop with mode drain', async () => {
    const server = await serverWithPipeline((dir) => ({
      name: 'drain',
      steps: [{ name: 'nap', run: fixture('sleep.mjs', '1.5', join(dir, 'nap.pid')) }],
    }))
    const { instanceId } = await startDaemon(server)
    await waitForFile(join(server.dir, 'nap.pid'))
    const res = await call(server.url, 'POST', '/api/cron/stop', { json: { mode: 'drain' } })
    expect(res.status, res.text).toBe(200)
    expect(res.body.message).toBe('Daemon stopped successfully')
    const runs = (await call(server.url, 'GET', '/api/cron/runs')).body.runs
    expect(runs[0]).toMatchObject({ status: 'success', steps: [{ name: 'nap', status: 'success', exit_code: 0 }] })
    expect(treeOf(instanceId)).toEqual([])
    expectError(await call(server.url, 'POST', '/api/cron/stop'), 409)
  })
})
