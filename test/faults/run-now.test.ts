/**
 * Run-now against a daemon that cannot answer (SIGSTOPped): the API answers 2xx only with the
 * id of a run that started, so here it answers 503 with the error body, and the request does
 * not come back to life as a run when the daemon resumes.
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { call, expectError, fixture, isAlive, logText, serverForTest, startDaemon, waitFor, type TestServer } from './support.js'

const pipeline = { name: 'quick', steps: [{ name: 'hello', run: fixture('print-lines.mjs', '1') }] }

async function runs(server: TestServer): Promise<any[]> {
  return (await call(server.url, 'GET', '/api/cron/runs')).body.runs
}

describe('run-now on a daemon that does not answer', () => {
  it('answers 503 within the timeout and starts no run, even after the daemon resumes - daemon frozen with SIGSTOP', async () => {
    const server = await serverForTest({ pipeline })
    const { pid } = await startDaemon(server, { interval_seconds: 3600, run_immediately: false })
    process.kill(pid, 'SIGSTOP')
    onTestFinished(() => void (isAlive(pid) && process.kill(pid, 'SIGCONT')))

    const t0 = Date.now()
    const res = await call(server.url, 'POST', '/api/cron/run')
    const tookMs = Date.now() - t0
    expectError(res, 503, new RegExp(`^Daemon did not answer within 5 s \\(PID: ${pid}\\)`))
    expect(tookMs).toBeGreaterThanOrEqual(5000)
    expect(tookMs).toBeLessThan(8000)
    expect(await runs(server)).toEqual([])

    // Resumed, the daemon gets the signal that waited, but the request was taken back: no run.
    // The next request gets 200 with the id of the run it starts, and that is the only run.
    process.kill(pid, 'SIGCONT')
    const again = await call(server.url, 'POST', '/api/cron/run')
    expect(again.status, again.text).toBe(200)
    const id = again.body.run_id as string
    expect(id).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{4}$/)
    const done = await waitFor(async () => (await runs(server)).find((r) => r.id === id && r.status !== 'running'), { what: 'the manual run to finish' })
    expect(done).toMatchObject({ trigger: 'manual', status: 'success' })
    expect((await runs(server)).map((r) => r.id)).toEqual([id])
    expect(logText(server).match(/Pipeline execution started/g)).toHaveLength(1)
    expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
  }, 30_000)

  it('answers 200 to exactly one of two concurrent requests and 409 to the other - idle daemon', async () => {
    const server = await serverForTest({ pipeline: { name: 'nap', steps: [{ name: 'nap', run: fixture('sleep.mjs', '2') }] } })
    await startDaemon(server, { interval_seconds: 3600, run_immediately: false })
    const answers = await Promise.all([call(server.url, 'POST', '/api/cron/run'), call(server.url, 'POST', '/api/cron/run')])
    const ok = answers.filter((a) => a.status === 200)
    expect(answers.map((a) => a.status).sort(), answers.map((a) => a.text).join('\n')).toEqual([200, 409])
    expectError(answers.find((a) => a.status === 409)!, 409, /A run is in progress/)
    const id = ok[0]!.body.run_id as string
    await waitFor(async () => (await runs(server)).find((r) => r.id === id && r.status === 'success'), { what: 'the manual run to finish' })
    expect((await runs(server)).filter((r) => r.status !== 'skipped').map((r) => r.id)).toEqual([id])
    expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
  })
})
