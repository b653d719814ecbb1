/**
 * Bad requests over HTTP: each one is a 4xx with the error body, and none starts a daemon.
 * One server serves the whole file: every request here is rejected, so sharing it is safe,
 * and each test checks that nothing was started.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../helpers/server.js'
import { call, daemonPidsOf, expectError, quickPipeline } from './support.js'

let server: TestServer

beforeAll(async () => {
  server = await startServer({ pipeline: quickPipeline() })
})
afterAll(async () => {
  await server?.cleanup()
})

interface Case {
  name: string
  method: string
  path: string
  status: number
  /** Raw body text, sent as application/json unless `type` says otherwise. */
  body?: string
  type?: string | null
  detail?: RegExp
}

const json = (v: unknown) => JSON.stringify(v)
const start = (body: string, status = 400, detail?: RegExp): Omit<Case, 'name'> => ({ method: 'POST', path: '/api/cron/start', body, status, detail })

const cases: Case[] = [
  { name: 'invalid JSON', ...start('{"interval_seconds": 60', 400, /JSON/i) },
  { name: 'an empty body sent as JSON', ...start('', 400, /JSON/i) },
  { name: 'an unknown key (typo "interval")', ...start(json({ interval: 60 }), 400, /interval/) },
  { name: 'an extra key next to interval_seconds', ...start(json({ interval_seconds: 60, verbose: true }), 400, /verbose/) },
  { name: 'interval_seconds below the minimum', ...start(json({ interval_seconds: 0 }), 400, /interval_seconds.*>= 1/) },
  { name: 'a negative interval_seconds', ...start(json({ interval_seconds: -5 }), 400, /interval_seconds/) },
  { name: 'interval_seconds as a string', ...start(json({ interval_seconds: '60' }), 400, /interval_seconds/) },
  { name: 'a fractional interval_seconds', ...start(json({ interval_seconds: 1.5 }), 400, /interval_seconds.*integer/) },
  { name: 'interval_seconds null', ...start(json({ interval_seconds: null }), 400, /interval_seconds/) },
  { name: 'a huge interval_seconds', ...start(json({ interval_seconds: 1e12 }), 400, /interval_seconds/) },
  { name: 'a JSON array body', ...start(json([60]), 400) },
  { name: 'a JSON string body', ...start(json('60'), 400) },
  { name: 'a JSON null body', ...start('null', 400) },
  { name: 'both interval_seconds and cron', ...start(json({ interval_seconds: 60, cron: '* * * * *' }), 400, /cron|interval/) },
  { name: 'an invalid cron expression', ...start(json({ cron: 'every tuesday' }), 400, /cron/) },
  { name: 'an unknown time zone', ...start(json({ cron: '*/5 * * * *', timezone: 'Mars/Olympus_Mons' }), 400, /timezone/) },
  { name: 'run_immediately not a boolean', ...start(json({ interval_seconds: 60, run_immediately: 'yes' }), 400, /run_immediately/) },
  { name: 'an unknown stop mode', method: 'POST', path: '/api/cron/stop', body: json({ mode: 'now' }), status: 400, detail: /mode/ },
  { name: 'lines=0', method: 'GET', path: '/api/cron/logs?lines=0', status: 400, detail: /lines/ },
  { name: 'lines=abc', method: 'GET', path: '/api/cron/logs?lines=abc', status: 400, detail: /lines/ },
  { name: 'lines=-1', method: 'GET', path: '/api/cron/logs?lines=-1', status: 400, detail: /lines/ },
  { name: 'lines above 100000', method: 'GET', path: '/api/cron/logs?lines=100001', status: 400, detail: /lines/ },
  { name: 'lines empty', method: 'GET', path: '/api/cron/logs?lines=', status: 400, detail: /lines/ },
  { name: 'tail lines=1.5', method: 'GET', path: '/api/cron/logs/tail?lines=1.5', status: 400, detail: /lines/ },
  { name: 'tail lines=1e3', method: 'GET', path: '/api/cron/logs/tail?lines=1e3', status: 400, detail: /lines/ },
  { name: 'runs limit=0', method: 'GET', path: '/api/cron/runs?limit=0', status: 400, detail: /limit/ },
  { name: 'an unknown route', method: 'GET', path: '/api/cron/nope', status: 404 },
  { name: 'an unknown top-level path', method: 'GET', path: '/definitely-not-here', status: 404 },
  { name: 'GET on the start route', method: 'GET', path: '/api/cron/start', status: 405 },
  { name: 'PUT on the start route', method: 'PUT', path: '/api/cron/start', body: json({ interval_seconds: 60 }), status: 405 },
  { name: 'DELETE on the status route', method: 'DELETE', path: '/api/cron/status', status: 405 },
  { name: 'POST on /health', method: 'POST', path: '/health', status: 405 },
  { name: 'a body over 64 KiB', ...start(json({ interval_seconds: 60, pad: 'x'.repeat(70 * 1024) }), 413) },
  { name: 'a text/plain body', ...start(json({ interval_seconds: 60 }), 415), type: 'text/plain' },
  { name: 'a form-encoded body', ...start('interval_seconds=60', 415), type: 'application/x-www-form-urlencoded' },
  { name: 'a text/plain body on stop', method: 'POST', path: '/api/cron/stop', body: 'now', type: 'text/plain', status: 415 },
]

describe('bad inputs', () => {
  it.each(cases)('returns $status with the error body, no daemon - $name', async (c) => {
    const headers: Record<string, string> = {}
    if (c.body !== undefined && c.type !== null) headers['Content-Type'] = c.type ?? 'application/json'
    const res = await call(server.url, c.method, c.path, { body: c.body, headers })
    expectError(res, c.status, c.detail)
    if (c.status === 405) expect(res.headers.get('allow')).toBeTruthy()
    expect(existsSync(join(server.stateDir, 'state.json'))).toBe(false)
    expect(daemonPidsOf(server.stateDir)).toEqual([])
  })

  it('names the field and the rule - interval_seconds below the minimum', async () => {
    const res = await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 0 } })
    expectError(res, 400)
    expect(res.body.detail).toBe('interval_seconds: must be an integer >= 1')
  })

  it('still reports not running and starts fine afterwards - after every bad request', async () => {
    const status = await call(server.url, 'GET', '/api/cron/status')
    expect(status.body).toMatchObject({ is_running: false, pid: null })
    const ok = await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } })
    expect(ok.status, ok.text).toBe(200)
    expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
  })
})
