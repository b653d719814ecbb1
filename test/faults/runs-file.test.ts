/**
 * A runs.jsonl with a huge line in it (20 MB of "x", with or without a newline after it): the
 * history is read from the end, so that line must cost one linear pass, not a pass per block,
 * and must not be re-read for every lookup. Valid records around it are still listed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { call, fixture, serverForTest, startDaemon, waitFor, type TestServer } from './support.js'

const pipeline = { name: 'quick', steps: [{ name: 'hello', run: fixture('print-lines.mjs', '1') }] }
const HUGE = 'x'.repeat(20 * 1024 * 1024)
/** Each request must answer within this; the original reader took 35.6 s for the first status. */
const BOUND_MS = 2000

/** A finished run record started `minute` minutes after 10:00 UTC on a fixed day. */
function record(id: string, minute: number) {
  const at = new Date(Date.UTC(2025, 11, 26, 10, minute)).toISOString()
  return { id, instance_id: 'old', trigger: 'schedule', status: 'success', scheduled_at: at, started_at: at, finished_at: at, duration_ms: 0, steps: [] }
}

function plantRuns(server: TestServer, text: string) {
  mkdirSync(server.stateDir, { recursive: true })
  writeFileSync(join(server.stateDir, 'runs.jsonl'), text)
}

const jsonl = (...ids: [string, number][]) => ids.map(([id, m]) => JSON.stringify(record(id, m)) + '\n').join('')

/** The request's answer and how long it took. */
async function timed(server: TestServer, path: string) {
  const t0 = performance.now()
  const res = await call(server.url, 'GET', path)
  return { res, ms: performance.now() - t0 }
}

/** Status, then 5 lookups of unknown runs, each within BOUND_MS; returns the times taken. */
async function expectQuickAnswers(server: TestServer, newest: string) {
  const times: number[] = []
  const status = await timed(server, '/api/cron/status')
  expect(status.res.status, status.res.text).toBe(200)
  expect(status.res.body.last_run?.id).toBe(newest)
  times.push(status.ms)
  for (let i = 0; i < 5; i++) {
    const miss = await timed(server, `/api/cron/runs/no-such-run-${i}`)
    expect(miss.res.status).toBe(404)
    expect(miss.res.body.detail).toBe(`Run not found: no-such-run-${i}`)
    times.push(miss.ms)
  }
  for (const ms of times) expect(ms, `times: ${times.map((t) => t.toFixed(0)).join(', ')} ms`).toBeLessThan(BOUND_MS)
  return times
}

const warnings = (server: TestServer) => server.output().split('\n').filter((l) => l.includes('runs.jsonl: skipped'))

describe('runs.jsonl with a huge line', () => {
  it('answers status and 5 unknown-run lookups within 2 s each and lists the valid runs - 20 MB of "x" without a newline at the end', { timeout: 60_000 }, async () => {
    const server = await serverForTest({ pipeline })
    plantRuns(server, jsonl(['old-1', 1], ['old-2', 2], ['old-3', 3]) + HUGE)
    const times = await expectQuickAnswers(server, 'old-3')
    console.log(`unterminated 20 MB tail: status ${times[0]!.toFixed(0)} ms, unknown ids ${times.slice(1).map((t) => t.toFixed(0)).join('/')} ms`)
    const runs = await call(server.url, 'GET', '/api/cron/runs')
    expect(runs.body.runs.map((r: any) => r.id)).toEqual(['old-3', 'old-2', 'old-1'])
    expect((await call(server.url, 'GET', '/api/cron/runs/old-1')).body.status).toBe('success')

    // A new run is appended after the junk (which gets its newline) and listed with the old ones.
    await startDaemon(server)
    const listed = await waitFor(async () => {
      const res = await call(server.url, 'GET', '/api/cron/runs')
      const ids: string[] = res.body.runs.map((r: any) => r.id)
      return ids.length === 4 && res.body.runs[0].status === 'success' ? ids : null
    }, { what: 'the new run next to the old ones' })
    expect(listed.slice(1)).toEqual(['old-3', 'old-2', 'old-1'])
    expect(readFileSync(join(server.stateDir, 'runs.jsonl'), 'utf8').includes(HUGE + '\n')).toBe(true)
    // One warning for that line, however many requests and appends came after.
    expect(warnings(server)).toHaveLength(1)
    expect(warnings(server)[0]).toMatch(/runs\.jsonl: skipped a record of 20971520 bytes at byte \d+/)
  })

  it('answers status and 5 unknown-run lookups within 2 s each and lists the runs on both sides - a 20 MB line in the middle', { timeout: 60_000 }, async () => {
    const server = await serverForTest({ pipeline })
    plantRuns(server, jsonl(['old-1', 1], ['old-2', 2]) + HUGE + '\n' + jsonl(['new-1', 3], ['new-2', 4]))
    const times = await expectQuickAnswers(server, 'new-2')
    console.log(`20 MB line in the middle: status ${times[0]!.toFixed(0)} ms, unknown ids ${times.slice(1).map((t) => t.toFixed(0)).join('/')} ms`)
    const runs = await call(server.url, 'GET', '/api/cron/runs')
    expect(runs.body.runs.map((r: any) => r.id)).toEqual(['new-2', 'new-1', 'old-2', 'old-1'])
    // A run older than the huge line is found past it.
    expect((await call(server.url, 'GET', '/api/cron/runs/old-1')).body.id).toBe('old-1')
    expect(warnings(server)).toHaveLength(1)
  })
})
