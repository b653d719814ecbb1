/** logs, tail, clear, /health and runs through `app.request()` over in-memory ports. */
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors.js'
import type { LogStore, RunRecord } from '../../src/ports.js'
import { createMemoryLogStore } from '../fakes/log-store.js'
import { createMemorySystem, type MemorySystem } from '../fakes/system.js'
import { expectErrorBody, expectIsoTimestamp, req } from './http.js'

let sys: MemorySystem | null = null
afterEach(async () => {
  await sys?.shutdown()
  sys = null
})

/** A system whose log already holds `n` lines `[2025-12-26 10:30:45] line k`. */
function withLog(n: number, chunkSize?: number) {
  sys = createMemorySystem({ logChunkSize: chunkSize })
  sys.logFile.text = Array.from({ length: n }, (_, k) => `[2025-12-26 10:30:45] line ${k + 1}\n`).join('')
  return sys
}

describe('GET /api/cron/logs', () => {
  it('returns every line and line_count - no lines parameter', async () => {
    const s = withLog(3)
    const a = await req(s.app, 'GET', '/api/cron/logs')
    expect(a.status).toBe(200)
    expect(a.headers.get('content-type')).toMatch(/^application\/json/)
    expect(a.body).toEqual({ logs: s.logFile.text, line_count: 3 })
  })

  it('returns the last N lines and counts them - ?lines=2', async () => {
    const s = withLog(10)
    const a = await req(s.app, 'GET', '/api/cron/logs?lines=2')
    expect(a.body).toEqual({ logs: '[2025-12-26 10:30:45] line 9\n[2025-12-26 10:30:45] line 10\n', line_count: 2 })
  })

  it('returns everything there is - ?lines larger than the log', async () => {
    const s = withLog(2)
    expect((await req(s.app, 'GET', '/api/cron/logs?lines=100000')).body.line_count).toBe(2)
  })

  it('returns an empty log with line_count 0 - empty log', async () => {
    sys = createMemorySystem()
    expect((await req(sys.app, 'GET', '/api/cron/logs')).body).toEqual({ logs: '', line_count: 0 })
    expect((await req(sys.app, 'GET', '/api/cron/logs?lines=5')).body).toEqual({ logs: '', line_count: 0 })
  })

  it('streams valid JSON across chunk boundaries - quotes, backslashes, unicode and no final newline', async () => {
    const s = withLog(0, 7)
    s.logFile.text = 'a "quoted" \\ line\n\ttab \u2603 snow \u{1F600} face\nno newline at end'
    const a = await req(s.app, 'GET', '/api/cron/logs')
    expect(a.body).toEqual({ logs: s.logFile.text, line_count: 3 })
  })
})

describe('GET /api/cron/logs/tail', () => {
  it('returns the last 50 lines as text/plain - default', async () => {
    const s = withLog(80)
    const a = await req(s.app, 'GET', '/api/cron/logs/tail')
    expect(a.status).toBe(200)
    expect(a.headers.get('content-type')).toMatch(/^text\/plain; charset=utf-8$/i)
    const lines = a.text.split('\n').slice(0, -1)
    expect(lines).toHaveLength(50)
    expect(lines[0]).toBe('[2025-12-26 10:30:45] line 31')
    expect(lines[49]).toBe('[2025-12-26 10:30:45] line 80')
  })

  it('returns the last N lines - ?lines=3', async () => {
    const s = withLog(80)
    expect((await req(s.app, 'GET', '/api/cron/logs/tail?lines=3')).text).toBe(
      '[2025-12-26 10:30:45] line 78\n[2025-12-26 10:30:45] line 79\n[2025-12-26 10:30:45] line 80\n',
    )
  })

  it('returns an empty body - empty log', async () => {
    sys = createMemorySystem()
    const a = await req(sys.app, 'GET', '/api/cron/logs/tail')
    expect([a.status, a.text]).toEqual([200, ''])
  })
})

describe('DELETE /api/cron/logs', () => {
  it('empties the log and answers the original message - clear', async () => {
    const s = withLog(5)
    const a = await req(s.app, 'DELETE', '/api/cron/logs')
    expect(a.status).toBe(200)
    expect(a.body).toEqual({ success: true, message: 'Logs cleared successfully', timestamp: expect.any(String) })
    expectIsoTimestamp(a.body.timestamp)
    // Only the audit line of the clear itself is left.
    const logs = (await req(s.app, 'GET', '/api/cron/logs')).body
    expect(logs.line_count).toBe(1)
    expect(logs.logs).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] Audit: unknown address cleared the logs\n$/)
  })
})

describe('GET /health', () => {
  it('returns healthy with a timestamp - always', async () => {
    sys = createMemorySystem()
    const a = await req(sys.app, 'GET', '/health')
    expect(a.status).toBe(200)
    expect(a.body).toEqual({ status: 'healthy', timestamp: expect.any(String) })
    expectIsoTimestamp(a.body.timestamp)
  })
})

describe('GET /api/cron/runs', () => {
  const run = (id: string, startedAt: string, status: RunRecord['status']): RunRecord => ({
    id,
    instance_id: 'i-1',
    trigger: 'schedule',
    status,
    scheduled_at: startedAt,
    started_at: startedAt,
    finished_at: status === 'running' ? null : startedAt,
    duration_ms: status === 'running' ? null : 0,
    steps: [],
  })

  async function seeded() {
    sys = createMemorySystem()
    await sys.runs.append(run('r1', '2025-12-26T10:00:00.000Z', 'running'))
    await sys.runs.append(run('r2', '2025-12-26T10:01:00.000Z', 'skipped'))
    await sys.runs.append(run('r1', '2025-12-26T10:00:00.000Z', 'success'))
    await sys.runs.append(run('r3', '2025-12-26T10:02:00.000Z', 'failed'))
    return sys
  }

  it('lists runs newest first with their latest record - no limit', async () => {
    const s = await seeded()
    const a = await req(s.app, 'GET', '/api/cron/runs')
    expect(a.status).toBe(200)
    expect(a.body.runs.map((r: RunRecord) => [r.id, r.status])).toEqual([
      ['r3', 'failed'],
      ['r2', 'skipped'],
      ['r1', 'success'],
    ])
  })

  it('returns at most N runs - ?limit=1', async () => {
    const s = await seeded()
    expect((await req(s.app, 'GET', '/api/cron/runs?limit=1')).body.runs.map((r: RunRecord) => r.id)).toEqual(['r3'])
  })

  it('returns one run, or 404 with the error body - /runs/{id}', async () => {
    const s = await seeded()
    expect((await req(s.app, 'GET', '/api/cron/runs/r1')).body).toMatchObject({ id: 'r1', status: 'success' })
    expectErrorBody(await req(s.app, 'GET', '/api/cron/runs/nope'), 404, 'Run not found: nope')
  })

  it('returns an empty list - no runs yet', async () => {
    sys = createMemorySystem()
    expect((await req(sys.app, 'GET', '/api/cron/runs')).body).toEqual({ runs: [] })
  })
})

describe('a log the store cannot read', () => {
  const detail = 'refusing to follow a symlink: /srv/logs/pipeline.log'
  /** The memory store, except that reading the whole log or following it fails at once. */
  function refusingSystem() {
    const store = createMemoryLogStore()
    const refuse = async function* (): AsyncGenerator<never> {
      throw new ConfigError(detail)
    }
    const logs: LogStore = { ...store, readAll: refuse, follow: refuse }
    sys = createMemorySystem({ logs })
    return sys
  }

  it('answers 500 with the error body, not a 200 cut short - GET /api/cron/logs and the file cannot be opened', async () => {
    const s = refusingSystem()
    expectErrorBody(await req(s.app, 'GET', '/api/cron/logs'), 500, detail)
  })

  it('answers 500 with the error body, not a silent event stream - GET /api/cron/logs/stream and the file cannot be opened', async () => {
    const s = refusingSystem()
    expectErrorBody(await req(s.app, 'GET', '/api/cron/logs/stream'), 500, detail)
  })
})
