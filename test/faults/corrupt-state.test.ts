/**
 * Corrupted files in the state dir: a state.json that is garbage, the wrong shape, huge, or
 * not a file at all, and a runs.jsonl with junk lines. Status answers 200 with a clear result,
 * a garbled state is quarantined (kept aside for inspection), and start works again.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { call, daemonPidsOf, expectError, fixture, serverForTest, startDaemon } from './support.js'

const pipeline = { name: 'quick', steps: [{ name: 'hello', run: fixture('print-lines.mjs', '1') }] }

const state = (o: Record<string, unknown>) =>
  JSON.stringify({ instance_id: 'x', runtime: 'node', started_at: new Date().toISOString(), schedule: { type: 'interval', interval_seconds: 60 }, ...o })

/** Contents that are not a state at all: each must be moved aside. */
const GARBLED: [string, string | Buffer][] = [
  ['truncated JSON', '{"pid": 12, "instance_id": "ab'],
  ['empty file', ''],
  ['NUL bytes', Buffer.alloc(4096)],
  ['random bytes', Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 256))],
  ['JSON null', 'null'],
  ['JSON array', '[1, 2, 3]'],
  ['JSON string', '"state"'],
  ['pid as a string', state({ pid: '1234' })],
  ['instance id as a number', JSON.stringify({ pid: 1234, instance_id: 5, schedule: {} })],
  ['no schedule', JSON.stringify({ pid: 1234, instance_id: 'x' })],
  ['10 MB of garbage', Buffer.alloc(10 * 1024 * 1024, 'z')],
]

/** Well-formed states naming no process of ours: each is cleaned as stale. */
const IMPOSSIBLE: [string, string][] = [
  ['pid 0', state({ pid: 0 })],
  ['negative pid', state({ pid: -1 })],
  ['pid beyond any pid', state({ pid: 2 ** 31 })],
  ['pid 1e300', state({ pid: 1e300 })],
]

function stateFiles(stateDir: string) {
  const all = existsSync(stateDir) ? readdirSync(stateDir) : []
  return { current: all.includes('state.json'), quarantined: all.filter((f) => f.startsWith('state.json.corrupt')) }
}

describe('corrupted state', () => {
  it('answers status with a clear result, quarantines the file and starts again - garbled state.json in 11 ways', async () => {
    const server = await serverForTest({ pipeline })
    mkdirSync(server.stateDir, { recursive: true })
    for (const [what, content] of GARBLED) {
      writeFileSync(join(server.stateDir, 'state.json'), content)
      const status = await call(server.url, 'GET', '/api/cron/status')
      expect(status.status, `${what}: ${status.text.slice(0, 200)}`).toBe(200)
      expect(status.body, what).toMatchObject({ is_running: false, pid: null, message: 'Daemon is not running' })
      const files = stateFiles(server.stateDir)
      expect(files.current, `${what}: state.json still there`).toBe(false)
      expect(files.quarantined.length, `${what}: kept aside`).toBeGreaterThanOrEqual(1)
      // The other routes that read the state answer cleanly too.
      expectError(await call(server.url, 'POST', '/api/cron/run'), 409)
      expect((await call(server.url, 'GET', '/metrics')).status, what).toBe(200)
    }
    for (const [what, content] of IMPOSSIBLE) {
      writeFileSync(join(server.stateDir, 'state.json'), content)
      const status = await call(server.url, 'GET', '/api/cron/status')
      expect(status.status, `${what}: ${status.text.slice(0, 200)}`).toBe(200)
      expect(status.body, what).toMatchObject({ is_running: false, pid: null })
      expect(stateFiles(server.stateDir).current, `${what}: stale state cleaned`).toBe(false)
      expectError(await call(server.url, 'POST', '/api/cron/stop'), 409)
    }
    // Garbage written right before a start (no status in between) does not block it either.
    writeFileSync(join(server.stateDir, 'state.json'), '{{{{')
    const { pid } = await startDaemon(server)
    expect(daemonPidsOf(server.stateDir)).toEqual([pid])
    expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
  })

  it('answers 200 and moves it aside - state.json is a directory', async () => {
    const server = await serverForTest({ pipeline })
    mkdirSync(join(server.stateDir, 'state.json'), { recursive: true })
    const status = await call(server.url, 'GET', '/api/cron/status')
    expect(status.status, status.text).toBe(200)
    expect(status.body).toMatchObject({ is_running: false, pid: null })
    expect(stateFiles(server.stateDir)).toMatchObject({ current: false, quarantined: [expect.any(String)] })
    await startDaemon(server)
    expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
  })

  it('skips the junk and answers 200 - runs.jsonl with torn, null, foreign and half records', async () => {
    const server = await serverForTest({ pipeline })
    await startDaemon(server, { interval_seconds: 3600 })
    expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
    const runs = join(server.stateDir, 'runs.jsonl')
    appendFileSync(
      runs,
      [
        '{"id":"torn","status":"succ',
        'null',
        '42',
        '"a string"',
        '[]',
        '{}',
        '{"id":"half"}',
        '{"id":7,"started_at":7,"status":"success"}',
        '\0\0\0\0',
        '{"id":"late","instance_id":"x","trigger":"schedule","status":"success","scheduled_at":null,"started_at":"2099-01-01T00:00:00.000Z","finished_at":null,"duration_ms":null,"steps":"not-an-array"}',
      ].join('\n') + '\n',
    )
    for (const path of ['/api/cron/status', '/api/cron/runs', '/api/cron/runs?limit=3', '/metrics', '/api/cron/health']) {
      const res = await call(server.url, 'GET', path)
      expect([200, 503], `${path}: ${res.text.slice(0, 300)}`).toContain(res.status)
      if (res.status !== 200) expectError(res, 503)
    }
    const list = (await call(server.url, 'GET', '/api/cron/runs')).body.runs as any[]
    // The real run is still there; none of the junk is reported as a run.
    expect(list.some((r) => r.status === 'cancelled' || r.status === 'success')).toBe(true)
    for (const r of list) {
      expect(typeof r.id).toBe('string')
      expect(typeof r.started_at).toBe('string')
    }
    expectError(await call(server.url, 'GET', '/api/cron/runs/torn/logs'), 404)
    await startDaemon(server)
  })
})
