/**
 * What a step prints reaches the log whole: every line of a fast writer, in order; UTF-8
 * text; and an empty log reads as empty before anything ran.
 */
import { describe, expect, it } from 'vitest'
import { call, fixture, LOG_LINE, logText, quickPipeline, serverForTest, startDaemon, waitForFinishedRuns } from './support.js'

const N = 20_000

describe('step output', () => {
  it(`logs all ${N} lines in order, each with the timestamp - a step writing as fast as it can`, async () => {
    const server = await serverForTest({ pipeline: { name: 'flood', steps: [{ name: 'flood', run: fixture('write-fast.mjs', String(N)) }] } })
    await startDaemon(server)
    const [run] = await waitForFinishedRuns(server, 1, 30_000)
    expect(run).toMatchObject({ status: 'success' })
    const fast = logText(server)
      .split('\n')
      .filter((l) => / fast \d+$/.test(l))
    expect(fast).toHaveLength(N)
    const wrong = fast.findIndex((l, i) => !l.endsWith(` fast ${i + 1}`) || !LOG_LINE.test(l))
    expect(wrong, `line ${wrong + 1}: ${fast[wrong]}`).toBe(-1)
    const logs = await call(server.url, 'GET', '/api/cron/logs')
    expect(logs.body.line_count).toBe(logs.body.logs.trimEnd().split('\n').length)
    expect(logs.body.line_count).toBeGreaterThan(N)
    const tail = await call(server.url, 'GET', '/api/cron/logs/tail?lines=100000')
    expect(tail.text).toBe(logs.body.logs)
  })

  it('keeps UTF-8 text intact in logs and tail, across read chunks - a step printing non-ASCII', async () => {
    const word = 'héllo-✓-日本-🚀'
    // ~300 KB of multi-byte text: the readers' 64 KiB blocks split characters somewhere.
    const server = await serverForTest({ pipeline: { name: 'utf8', steps: [{ name: 'say', run: fixture('print-lines.mjs', '6000', '1', word) }] } })
    await startDaemon(server)
    await waitForFinishedRuns(server, 1)
    const file = logText(server)
    expect(file.length).toBeGreaterThan(200_000)
    const logs = await call(server.url, 'GET', '/api/cron/logs')
    expect(logs.body.logs).toBe(file)
    expect(logs.body.logs).toContain(`${word} out 6000`)
    expect(logs.body.logs).toContain(`[stderr] ${word} err 1`)
    expect(logs.body.logs).not.toContain('\uFFFD')
    const tail = await call(server.url, 'GET', '/api/cron/logs/tail?lines=100000')
    expect(tail.text).toBe(file)
  })

  it('returns empty logs with line_count 0, and an empty tail - before anything ran', async () => {
    const server = await serverForTest({ pipeline: quickPipeline() })
    const logs = await call(server.url, 'GET', '/api/cron/logs')
    expect(logs.status).toBe(200)
    expect(logs.body).toEqual({ logs: '', line_count: 0 })
    const tail = await call(server.url, 'GET', '/api/cron/logs/tail')
    expect(tail.status).toBe(200)
    expect(tail.text).toBe('')
    const cleared = await call(server.url, 'DELETE', '/api/cron/logs')
    expect(cleared.status).toBe(200)
    expect(cleared.body).toMatchObject({ success: true, message: 'Logs cleared successfully' })
  })
})
