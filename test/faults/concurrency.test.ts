/**
 * Start is serialised across processes: 50 concurrent starts spread over two API servers on
 * one state dir make exactly one daemon.
 */
import { describe, expect, it } from 'vitest'
import { call, daemonPidsOf, expectError, fixture, logText, readState, secondServer, serverForTest, waitForLog } from './support.js'

describe('concurrency across servers', () => {
  it('answers exactly one 200 and 409 to the rest, with exactly one daemon - 50 concurrent starts over two servers on one state dir', async () => {
    const a = await serverForTest({ pipeline: { name: 'quick', steps: [{ name: 'hello', run: fixture('print-lines.mjs', '1') }] } })
    const b = await secondServer(a)
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(i % 2 ? a.url : b.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 + i, run_immediately: false } }),
      ),
    )
    const ok = answers.filter((x) => x.status === 200)
    expect(ok, answers.map((x) => `${x.status} ${x.text}`).join('\n')).toHaveLength(1)
    for (const x of answers.filter((x) => x.status !== 200)) expectError(x, 409, /already running/)
    const pid = Number(/\(PID: (\d+)\)/.exec(ok[0]!.body.message)![1])

    // One daemon process, one state, one start line; both servers see the same daemon.
    expect(daemonPidsOf(a.stateDir)).toEqual([pid])
    expect(readState(a)?.pid).toBe(pid)
    await waitForLog(a, /Daemon started/)
    expect(logText(a).match(/Daemon started/g)).toHaveLength(1)
    expect(logText(a).match(/Audit: \S+ started the daemon/g)).toHaveLength(1)
    for (const s of [a, b]) expect((await call(s.url, 'GET', '/api/cron/status')).body).toMatchObject({ is_running: true, pid })

    // And the stops through both servers: one 200, no daemon left.
    const stops = await Promise.all([a, b, a, b].map((s) => call(s.url, 'POST', '/api/cron/stop')))
    expect(stops.filter((x) => x.status === 200)).toHaveLength(1)
    for (const x of stops.filter((x) => x.status !== 200)) expectError(x, 409)
    expect(daemonPidsOf(a.stateDir)).toEqual([])
  })
})
