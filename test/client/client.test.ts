/**
 * The typed client against the real built server: every method, the errors it throws (status
 * and the API's detail), the bearer token and an unreachable live.server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PipelineCronClient } from '../../src/client.js'
import { FIXTURES, startServer, type TestServer } from '../helpers/server.js'
import { closedPort, rejection, serverForFile } from '../helpers/client-server.js'
import { waitFor } from '../helpers/wait.js'

const pipeline = { name: 'client-test', steps: [{ name: 'hello', run: [process.execPath, `${FIXTURES}/print-lines.mjs`, '3', '0', 'hello'] }] }

const live = serverForFile({ pipeline })


describe('PipelineCronClient', () => {
  it('reads health and a stopped status', async () => {
    expect(await live.client.health()).toMatchObject({ status: 'healthy', timestamp: expect.any(String) })
    expect(await live.client.status()).toMatchObject({ is_running: false, pid: null, message: expect.any(String) })
  })

  it('throws PipelineCronError with status 409 and the detail - stop while stopped', async () => {
    const err = await rejection(live.client.stop())
    expect(err.status).toBe(409)
    expect(err.detail).toBe('Daemon is not running')
    expect(err.message).toBe('Daemon is not running')
    expect(err.body).toMatchObject({ error: true, detail: 'Daemon is not running' })
  })

  it('throws 400 with the field and the rule - interval below the minimum', async () => {
    const err = await rejection(live.client.start({ interval_seconds: 0 }))
    expect(err.status).toBe(400)
    expect(err.detail).toBe('interval_seconds: must be an integer >= 1')
  })

  it('starts, reports, runs, lists and stops the daemon - the full cycle', async () => {
    const started = await live.client.start({ interval_seconds: 3600 })
    expect(started.message).toMatch(/^Daemon started successfully with interval: 3600 seconds \(PID: \d+\)$/)
    const pid = Number(/PID: (\d+)/.exec(started.message)![1])

    const again = await rejection(live.client.start(3600))
    expect([again.status, again.detail]).toEqual([409, `Daemon is already running (PID: ${pid})`])

    // The interval schedule runs once at start.
    const first = await waitFor(async () => (await live.client.runs()).runs.find((r) => r.status === 'success'), { timeoutMs: 20_000, what: 'the first run' })
    expect(await live.client.getRun(first.id)).toMatchObject({ id: first.id, trigger: 'schedule', status: 'success' })
    const status = await live.client.status()
    expect(status).toMatchObject({ is_running: true, pid, schedule: { type: 'interval', interval_seconds: 3600 } })
    expect(status.last_run?.id).toBe(first.id)

    const all = await live.client.getLogs()
    expect(all.logs).toContain('========== Pipeline execution started ==========')
    expect(all.logs).toContain('hello out 3')
    expect(await live.client.getLogs(2)).toMatchObject({ line_count: 2 })
    const tail = await live.client.tailLogs(1)
    expect(tail).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] .*\n$/)

    const manual = await live.client.runNow()
    expect(manual.success).toBe(true)
    await waitFor(async () => (await live.client.runs(5)).runs.some((r) => r.trigger === 'manual' && r.status === 'success'), { timeoutMs: 20_000, what: 'the manual run' })
    expect((await live.client.runs(1)).runs).toHaveLength(1)

    const stopped = await live.client.stop()
    expect(stopped).toMatchObject({ success: true, message: 'Daemon stopped successfully', survivors: [] })
    const busy = await rejection(live.client.runNow())
    expect(busy.status).toBe(409)

    expect((await live.client.clearLogs()).message).toBe('Logs cleared successfully')
    // Only the audit line of the clear itself is left.
    const after = await live.client.getLogs()
    expect(after.logs).not.toContain('Pipeline execution')
    expect(after.line_count).toBeLessThanOrEqual(1)
  })

  it('starts on a cron expression in a time zone, and stops with drain', async () => {
    const res = await live.client.start({ cron: '0 0 1 1 *', timezone: 'Europe/Berlin' })
    expect(res.message).toMatch(/^Daemon started successfully with cron: 0 0 1 1 \* \(Europe\/Berlin\) \(PID: \d+\)$/)
    expect((await live.client.status()).schedule).toEqual({ type: 'cron', cron: '0 0 1 1 *', timezone: 'Europe/Berlin' })
    expect((await live.client.stop({ drain: true })).message).toBe('Daemon stopped successfully')
  })

  it('throws a 404 with the detail for an unknown run id', async () => {
    const err = await rejection(live.client.getRun('no-such-run'))
    expect([err.status, err.detail]).toEqual([404, 'Run not found: no-such-run'])
  })

  it('throws status 0 naming the URL and the reason - nothing listens there', async () => {
    const port = await closedPort()
    const err = await rejection(new PipelineCronClient(`http://127.0.0.1:${port}`).health())
    expect(err.status).toBe(0)
    expect(err.detail).toBe(`cannot reach http://127.0.0.1:${port} (ECONNREFUSED)`)
  })
})

describe('PipelineCronClient with a token', () => {
  let guarded: TestServer
  beforeAll(async () => {
    guarded = await startServer({ pipeline, args: ['--token', 's3cret'] })
  })
  afterAll(async () => {
    await guarded?.cleanup()
  })

  it('throws 401 without the token, and works with it', async () => {
    const err = await rejection(new PipelineCronClient(guarded.url).status())
    expect(err.status).toBe(401)
    expect(err.detail).toMatch(/Authorization: Bearer/)
    expect(await new PipelineCronClient(guarded.url, { token: 's3cret' }).status()).toMatchObject({ is_running: false })
    // /health stays public.
    expect((await new PipelineCronClient(guarded.url).health()).status).toBe('healthy')
  })

  it('throws 401 "Invalid token" for a wrong token', async () => {
    const err = await rejection(new PipelineCronClient(guarded.url, { token: 'wrong' }).getLogs())
    expect([err.status, err.detail]).toEqual([401, 'Invalid token'])
  })
})

