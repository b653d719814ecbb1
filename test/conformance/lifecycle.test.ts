/**
 * The original life cycle over HTTP: start, status, the run's log lines, logs / tail / clear,
 * stop. Each test has its own server and state dir.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { call, daemonPidsOf, fixture, ISO_MS, LOG_LINE, logText, serverForTest, startDaemon, treeOf, waitFor, waitForLog, waitForFinishedRuns, type TestServer } from '../helpers/real-server.js'
import { fixtureSh } from './support.js'

const FINISHED = /Pipeline execution finished: success/

/** Two steps as in the original log: one prints to stdout and stderr (array form), one exits 0 (shell form). */
const twoSteps = (out = '3') => ({
  name: 'lifecycle',
  steps: [
    { name: 'extract', run: fixture('print-lines.mjs', out, '2', 'extract') },
    { name: 'load', run: fixtureSh('exit-with.mjs', '0') },
  ],
})

/** A server whose daemon (interval 3600 s) has finished its run at start, so the log is quiet. */
async function afterOneRun(out = '3'): Promise<TestServer> {
  const server = await serverForTest({ pipeline: twoSteps(out) })
  await startDaemon(server)
  await waitForFinishedRuns(server, 1)
  await waitForLog(server, FINISHED)
  return server
}

const lines = (text: string) => text.split('\n').filter((l, i, all) => !(l === '' && i === all.length - 1))

describe('lifecycle', () => {
  it('returns 200 with the original message - start with interval_seconds', async () => {
    const server = await serverForTest({ pipeline: twoSteps() })
    const res = await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    expect(res.status, res.text).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.body).toEqual({
      success: true,
      message: expect.stringMatching(/^Daemon started successfully with interval: 60 seconds \(PID: \d+\)$/),
      timestamp: expect.stringMatching(ISO_MS),
    })
    const pid = Number(/PID: (\d+)/.exec(res.body.message)![1])
    expect(daemonPidsOf(server.stateDir)).toEqual([pid])
  })

  it('reports is_running, pid, the original message, schedule and next_run_at - daemon running', async () => {
    const server = await serverForTest({ pipeline: twoSteps() })
    const before = Date.now()
    const { pid } = await startDaemon(server, { interval_seconds: 60 })
    const res = await call(server.url, 'GET', '/api/cron/status')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      is_running: true,
      pid,
      message: `Daemon is running (PID: ${pid})`,
      schedule: { type: 'interval', interval_seconds: 60 },
    })
    expect(res.body.started_at).toMatch(ISO_MS)
    expect(res.body.next_run_at).toMatch(ISO_MS)
    // Ticks fall at t0 + k * interval: the next one is about a minute after start.
    const next = Date.parse(res.body.next_run_at)
    expect(next).toBeGreaterThan(before + 55_000)
    expect(next).toBeLessThan(Date.now() + 61_000)
  })

  it("writes the original log lines in order - run at start", async () => {
    const server = await afterOneRun()
    const text = logText(server)
    const all = lines(text)
    for (const l of all) expect(l).toMatch(LOG_LINE)
    const body = all.map((l) => l.replace(LOG_LINE, ''))
    const at = (pattern: RegExp) => {
      const i = body.findIndex((l) => pattern.test(l))
      expect(i, `no line matching ${pattern} in:\n${text}`).toBeGreaterThanOrEqual(0)
      return i
    }
    const order = [
      at(/^========== Pipeline execution started ==========$/),
      at(/^\[1\/2\] Running extract\.\.\.$/),
      at(/^\[stdout\] extract out 1$/),
      at(/^\[stdout\] extract out 3$/),
      at(/^\[1\/2\] extract finished: exit 0 in \d+\.\d+s$/),
      at(/^\[2\/2\] Running load\.\.\.$/),
      at(/^\[stdout\] exiting with 0$/),
      at(/^\[2\/2\] load finished: exit 0 in \d+\.\d+s$/),
      at(/^========== Pipeline execution finished: success \(2\/2 steps, \d+(\.\d+)?s\) ==========$/),
    ]
    expect(order).toEqual([...order].sort((a, b) => a - b))
    // stderr lines are marked, and come between the step's start and end lines.
    const err = at(/^\[stderr\] extract err 2$/)
    expect(err).toBeGreaterThan(order[1]!)
    expect(err).toBeLessThan(order[4]!)
    // The daemon's start gets a line of its own.
    expect(text).toMatch(/Daemon started/)
  })

  it('returns every line with line_count, or the last N with ?lines=N - GET /api/cron/logs', async () => {
    const server = await afterOneRun()
    const file = logText(server)
    const all = await call(server.url, 'GET', '/api/cron/logs')
    expect(all.status).toBe(200)
    expect(all.headers.get('content-type')).toMatch(/^application\/json/)
    expect(Object.keys(all.body).sort()).toEqual(['line_count', 'logs'])
    expect(all.body.logs).toBe(file)
    expect(all.body.line_count).toBe(lines(file).length)
    expect(all.body.line_count).toBeGreaterThan(8)

    const last3 = await call(server.url, 'GET', '/api/cron/logs?lines=3')
    expect(last3.status).toBe(200)
    expect(last3.body.line_count).toBe(3)
    expect(lines(last3.body.logs)).toEqual(lines(file).slice(-3))

    // More lines asked than there are: all of them.
    const many = await call(server.url, 'GET', '/api/cron/logs?lines=100000')
    expect(many.body.line_count).toBe(all.body.line_count)
    expect(lines(many.body.logs)).toEqual(lines(file))
  })

  it('returns text/plain, the last 50 lines by default and N with ?lines=N - GET /api/cron/logs/tail', async () => {
    const server = await afterOneRun('70')
    const file = lines(logText(server))
    expect(file.length).toBeGreaterThan(70)

    const tail = await call(server.url, 'GET', '/api/cron/logs/tail')
    expect(tail.status).toBe(200)
    expect(tail.headers.get('content-type')).toMatch(/^text\/plain; charset=utf-8$/i)
    expect(lines(tail.text)).toEqual(file.slice(-50))

    const five = await call(server.url, 'GET', '/api/cron/logs/tail?lines=5')
    expect(five.headers.get('content-type')).toMatch(/^text\/plain; charset=utf-8$/i)
    expect(lines(five.text)).toEqual(file.slice(-5))
  })

  it('empties the log, keeping only lines written after - DELETE /api/cron/logs', async () => {
    const server = await afterOneRun()
    expect(logText(server)).toContain('extract out 1')
    const res = await call(server.url, 'DELETE', '/api/cron/logs')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toEqual({ success: true, message: 'Logs cleared successfully', timestamp: expect.stringMatching(ISO_MS) })

    const after = await call(server.url, 'GET', '/api/cron/logs')
    expect(after.body.logs).not.toContain('extract out 1')
    expect(after.body.logs).not.toContain('Pipeline execution')
    expect(after.body.line_count).toBe(lines(after.body.logs).length)

    // A run after the clear lands in the emptied file, at its start: no NUL padding before it.
    const run = await call(server.url, 'POST', '/api/cron/run')
    expect(run.status, run.text).toBe(200)
    const text = await waitForLog(server, FINISHED)
    expect(text).not.toContain('\0')
    expect(text.startsWith('[')).toBe(true)
    const logs = (await call(server.url, 'GET', '/api/cron/logs')).body.logs as string
    expect(logs.match(/Pipeline execution started/g)).toHaveLength(1)
    expect(logs).toContain('extract out 1')
  })

  it('returns 200 with the original message, then status not running with pid null and no process left - stop', async () => {
    const server = await serverForTest({ pipeline: twoSteps() })
    const { pid, instanceId } = await startDaemon(server)
    await waitForFinishedRuns(server, 1)
    // One daemon runs the pipeline; its steps carry the pipeline's marker, the daemon does not.
    expect(daemonPidsOf(server.stateDir)).toEqual([pid])

    const res = await call(server.url, 'POST', '/api/cron/stop')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ success: true, message: 'Daemon stopped successfully', timestamp: expect.stringMatching(ISO_MS) })

    const status = await call(server.url, 'GET', '/api/cron/status')
    expect(status.body).toMatchObject({ is_running: false, pid: null })
    expect(typeof status.body.message).toBe('string')
    expect(treeOf(instanceId)).toEqual([])
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    expect(existsSync(join(server.stateDir, 'state.json'))).toBe(false)
    // The daemon's stop gets a line of its own.
    await waitFor(() => /Daemon stopped/.test(logText(server)), { what: 'the stop line' })
  })
})
