/**
 * The decided 409s (start while running, stop while stopped, run-now while not running or
 * busy), run-now while idle, and the run history it leaves.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { call, daemonPidsOf, expectError, fixture, ISO_MS, serverForTest, serverWithPipeline, startDaemon, waitFor, waitForFile, waitForFinishedRuns } from '../helpers/real-server.js'
import { quickPipeline } from './support.js'

describe('conflicts', () => {
  it('returns 409 and keeps the one daemon - start while running', async () => {
    const server = await serverForTest({ pipeline: quickPipeline() })
    const { pid } = await startDaemon(server)
    const again = await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 5 } })
    expectError(again, 409, new RegExp(`already running.*${pid}`, 'i'))
    expect(daemonPidsOf(server.stateDir)).toEqual([pid])
    const status = await call(server.url, 'GET', '/api/cron/status')
    expect(status.body).toMatchObject({ is_running: true, pid, schedule: { type: 'interval', interval_seconds: 3600 } })
  })

  it('returns 409 - stop while stopped', async () => {
    const server = await serverForTest({ pipeline: quickPipeline() })
    expectError(await call(server.url, 'POST', '/api/cron/stop'), 409, /not running/i)
    // And again after a start and a stop.
    await startDaemon(server)
    expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
    expectError(await call(server.url, 'POST', '/api/cron/stop'), 409, /not running/i)
  })

  it('returns 409 - run now while the daemon is not running', async () => {
    const server = await serverForTest({ pipeline: quickPipeline() })
    expectError(await call(server.url, 'POST', '/api/cron/run'), 409, /not running/i)
    expect(daemonPidsOf(server.stateDir)).toEqual([])
  })

  it('returns 409 - run now while a run is in progress', async () => {
    const server = await serverWithPipeline((dir) => ({
      name: 'slow',
      steps: [{ name: 'nap', run: fixture('sleep.mjs', '60', join(dir, 'nap.pid')) }],
    }))
    await startDaemon(server)
    await waitForFile(join(server.dir, 'nap.pid'))
    const status = await waitFor(async () => {
      const s = await call(server.url, 'GET', '/api/cron/status')
      return s.body.current_run?.step === 'nap' ? s.body : null
    }, { what: 'current_run to show the step' })
    expect(status.current_run).toMatchObject({ step: 'nap', index: 1, total: 1, trigger: 'schedule' })
    expectError(await call(server.url, 'POST', '/api/cron/run'), 409, /in progress/i)
  })

  it('returns 200 and records a manual run, newest first with steps - run now while idle', async () => {
    const server = await serverForTest({
      pipeline: {
        name: 'two',
        steps: [
          { name: 'first', run: fixture('print-lines.mjs', '1') },
          { name: 'second', run: fixture('exit-with.mjs', '0') },
        ],
      },
    })
    await startDaemon(server)
    await waitForFinishedRuns(server, 1)
    const res = await call(server.url, 'POST', '/api/cron/run')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ success: true, timestamp: expect.stringMatching(ISO_MS) })

    const runs = await waitForFinishedRuns(server, 2)
    expect(runs).toHaveLength(2)
    const [manual, scheduled] = runs
    expect(manual).toMatchObject({ trigger: 'manual', status: 'success' })
    expect(scheduled).toMatchObject({ trigger: 'schedule', status: 'success' })
    if (res.body.run_id) expect(manual.id).toBe(res.body.run_id)
    expect(Date.parse(manual.started_at)).toBeGreaterThanOrEqual(Date.parse(scheduled.started_at))
    for (const run of runs) {
      expect(run.id).toEqual(expect.any(String))
      expect(run.started_at).toMatch(ISO_MS)
      expect(run.finished_at).toMatch(ISO_MS)
      expect(run.duration_ms).toBeGreaterThanOrEqual(0)
      expect(run.steps.map((s: any) => [s.name, s.status, s.exit_code])).toEqual([
        ['first', 'success', 0],
        ['second', 'success', 0],
      ])
    }
    const one = await call(server.url, 'GET', '/api/cron/runs?limit=1')
    expect(one.body.runs.map((r: any) => r.id)).toEqual([manual.id])
  })
})

describe('run outcomes', () => {
  it('records failed with the exit code and the reason, and lists later steps as not run - a step exits non-zero', async () => {
    const server = await serverForTest({
      pipeline: {
        name: 'fails',
        steps: [
          { name: 'boom', run: fixture('exit-with.mjs', '3') },
          { name: 'never', run: fixture('print-lines.mjs', '1') },
        ],
      },
    })
    await startDaemon(server)
    const [run] = await waitForFinishedRuns(server, 1)
    expect(run).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^step boom failed: exit 3/) })
    // A step the run never reached is listed as not run, so the record says 1 of 2 ran.
    expect(run.steps).toMatchObject([
      { name: 'boom', status: 'failed', exit_code: 3, attempts: 1 },
      { name: 'never', status: 'not_run', exit_code: null, started_at: null, attempts: 0 },
    ])
    const tail = await call(server.url, 'GET', '/api/cron/logs/tail')
    expect(tail.text).toMatch(/\[1\/2\] boom failed: exit 3/)
    expect(tail.text).toMatch(/Pipeline execution finished: failed/)
    expect(tail.text).not.toMatch(/Running never/)
  })

  it('runs the next step - a failing step with continue_on_error', async () => {
    const server = await serverForTest({
      pipeline: {
        name: 'goes-on',
        steps: [
          { name: 'boom', run: fixture('exit-with.mjs', '2'), continue_on_error: true },
          { name: 'after', run: fixture('print-lines.mjs', '1') },
        ],
      },
    })
    await startDaemon(server)
    const [run] = await waitForFinishedRuns(server, 1)
    expect(run.steps.map((s: any) => [s.name, s.status, s.exit_code])).toEqual([
      ['boom', 'failed', 2],
      ['after', 'success', 0],
    ])
  })

  it('records timed_out and ends the step - a step runs past timeout_seconds', async () => {
    const server = await serverWithPipeline((dir) => ({
      name: 'slow',
      steps: [{ name: 'nap', run: fixture('sleep.mjs', '60', join(dir, 'nap.pid')), timeout_seconds: 1 }],
    }))
    await startDaemon(server)
    const [run] = await waitForFinishedRuns(server, 1)
    expect(run).toMatchObject({ status: 'timed_out', steps: [{ name: 'nap', status: 'timed_out' }] })
    expect((await call(server.url, 'GET', '/api/cron/logs/tail')).text).toMatch(/\[1\/1\] nap timed out/)
  })
})
