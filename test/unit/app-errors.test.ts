/**
 * Bad inputs: each is a 4xx with exactly {error, detail, timestamp} and a detail that names the
 * field and the rule, and none of them starts a daemon.
 */
import { describe, expect, it } from 'vitest'
import { createMemorySystem } from '../fakes/system.js'
import { expectErrorBody, req } from './http.js'

const JSON_TYPE = { 'Content-Type': 'application/json' }
const start = (body: string, headers: Record<string, string> = JSON_TYPE) => ({ method: 'POST', path: '/api/cron/start', body, headers })

interface BadCase {
  name: string
  method: string
  path: string
  body?: string
  headers?: Record<string, string>
  status: number
  detail: string | RegExp
}

const MUST_BE_INTERVAL = 'interval_seconds: must be an integer >= 10'
const MUST_BE_LINES = 'lines: must be an integer from 1 to 100000'

const cases: BadCase[] = [
  // The body itself.
  { name: 'missing body on a JSON content type', ...start(''), status: 400, detail: 'body: invalid JSON' },
  { name: 'invalid JSON', ...start('{"interval_seconds": 60'), status: 400, detail: 'body: invalid JSON' },
  { name: 'JSON array body', ...start('[60]'), status: 400, detail: /^body: .*expected object, received array$/ },
  { name: 'JSON string body', ...start('"60"'), status: 400, detail: /^body: .*expected object, received string$/ },
  { name: 'JSON null body', ...start('null'), status: 400, detail: /^body: .*expected object, received null$/ },
  { name: 'JSON number body', ...start('60'), status: 400, detail: /^body: .*expected object, received number$/ },
  // interval_seconds.
  { name: 'interval_seconds as a string', ...start('{"interval_seconds": "60"}'), status: 400, detail: MUST_BE_INTERVAL },
  { name: 'interval_seconds null', ...start('{"interval_seconds": null}'), status: 400, detail: MUST_BE_INTERVAL },
  { name: 'interval_seconds below the minimum', ...start('{"interval_seconds": 9}'), status: 400, detail: MUST_BE_INTERVAL },
  { name: 'interval_seconds zero', ...start('{"interval_seconds": 0}'), status: 400, detail: MUST_BE_INTERVAL },
  { name: 'interval_seconds negative', ...start('{"interval_seconds": -60}'), status: 400, detail: MUST_BE_INTERVAL },
  { name: 'interval_seconds a float', ...start('{"interval_seconds": 60.5}'), status: 400, detail: MUST_BE_INTERVAL },
  { name: 'interval_seconds over one year', ...start('{"interval_seconds": 99999999999}'), status: 400, detail: 'interval_seconds: must be at most 31622400 (one year)' },
  { name: 'interval_seconds a huge number', ...start('{"interval_seconds": 1e400}'), status: 400, detail: /^interval_seconds: must be/ },
  { name: 'interval_seconds 1e30', ...start('{"interval_seconds": 1e30}'), status: 400, detail: /^interval_seconds: must be/ },
  // Unknown keys and combinations.
  { name: 'unknown key "interval" (a typo must not start a default schedule)', ...start('{"interval": 60}'), status: 400, detail: 'body: unknown key "interval"' },
  { name: 'unknown key next to a valid one', ...start('{"interval_seconds": 60, "extra": true}'), status: 400, detail: 'body: unknown key "extra"' },
  { name: 'both interval_seconds and cron', ...start('{"interval_seconds": 60, "cron": "* * * * *"}'), status: 400, detail: 'cron: give either interval_seconds or cron, not both' },
  { name: 'run_immediately not a boolean', ...start('{"interval_seconds": 60, "run_immediately": "yes"}'), status: 400, detail: 'run_immediately: expected true or false' },
  // cron and timezone.
  { name: 'cron with a value out of range', ...start('{"cron": "61 * * * *"}'), status: 400, detail: /^cron: invalid cron expression \(.*minute.*61.*\)$/ },
  { name: 'cron with too few fields', ...start('{"cron": "* * *"}'), status: 400, detail: /^cron: invalid cron expression \(/ },
  { name: 'cron not a string', ...start('{"cron": 5}'), status: 400, detail: 'cron: expected a cron expression string' },
  { name: 'cron empty', ...start('{"cron": ""}'), status: 400, detail: /^cron: invalid cron expression/ },
  { name: 'cron over 200 characters', ...start(JSON.stringify({ cron: '* '.repeat(150) })), status: 400, detail: 'cron: must be at most 200 characters' },
  { name: 'unknown time zone', ...start('{"cron": "0 * * * *", "timezone": "Mars/Olympus_Mons"}'), status: 400, detail: 'timezone: unknown time zone "Mars/Olympus_Mons"' },
  { name: 'time zone without cron', ...start('{"interval_seconds": 60, "timezone": "Europe/Berlin"}'), status: 400, detail: 'timezone: only allowed with cron' },
  // Content type and size.
  { name: 'text/plain body', ...start('{"interval_seconds": 60}', { 'Content-Type': 'text/plain' }), status: 415, detail: /^Unsupported Media Type/ },
  { name: 'form body', ...start('interval_seconds=60', { 'Content-Type': 'application/x-www-form-urlencoded' }), status: 415, detail: /^Unsupported Media Type/ },
  { name: 'body over 64 KiB', ...start(JSON.stringify({ interval_seconds: 60, pad: 'x'.repeat(64 * 1024) })), status: 413, detail: 'Request body too large: the limit is 65536 bytes' },
  // stop.
  { name: 'stop with a bad mode', method: 'POST', path: '/api/cron/stop', body: '{"mode": "later"}', headers: JSON_TYPE, status: 400, detail: 'mode: must be "cancel" or "drain"' },
  { name: 'stop with an unknown key', method: 'POST', path: '/api/cron/stop', body: '{"force": true}', headers: JSON_TYPE, status: 400, detail: 'body: unknown key "force"' },
  { name: 'stop with invalid JSON', method: 'POST', path: '/api/cron/stop', body: '{mode:drain}', headers: JSON_TYPE, status: 400, detail: 'body: invalid JSON' },
  // Query parameters.
  ...['0', '-1', '1.5', 'abc', '100001', '', '1e3', '0x10'].map((v) => ({
    name: `logs?lines=${v}`,
    method: 'GET',
    path: `/api/cron/logs?lines=${encodeURIComponent(v)}`,
    status: 400,
    detail: MUST_BE_LINES,
  })),
  ...['0', '-1', '1.5', 'abc', '100001', ''].map((v) => ({
    name: `logs/tail?lines=${v}`,
    method: 'GET',
    path: `/api/cron/logs/tail?lines=${encodeURIComponent(v)}`,
    status: 400,
    detail: MUST_BE_LINES,
  })),
  ...['0', '-1', '1.5', 'abc', '100001', ''].map((v) => ({
    name: `runs?limit=${v}`,
    method: 'GET',
    path: `/api/cron/runs?limit=${encodeURIComponent(v)}`,
    status: 400,
    detail: 'limit: must be an integer from 1 to 100000',
  })),
  { name: 'lines given twice', method: 'GET', path: '/api/cron/logs?lines=1&lines=2', status: 400, detail: /^lines: / },
  // Routing.
  { name: 'unknown route', method: 'GET', path: '/api/cron/nope', status: 404, detail: 'Not found: GET /api/cron/nope' },
  { name: 'unknown top-level route', method: 'GET', path: '/admin', status: 404, detail: 'Not found: GET /admin' },
]

describe('bad inputs', () => {
  it.each(cases)('answers $status with the error body - $name', async (c) => {
    const sys = createMemorySystem()
    const a = await req(sys.app, c.method, c.path, { body: c.body, headers: c.headers })
    expectErrorBody(a, c.status, c.detail)
    // A rejected request never starts anything.
    expect(sys.launcher.launches).toEqual([])
    expect(sys.unexpected).toEqual([])
  })
})

describe('wrong method', () => {
  it.each([
    ['PUT', '/api/cron/start', 'POST'],
    ['GET', '/api/cron/stop', 'POST'],
    ['POST', '/api/cron/status', 'GET'],
    ['DELETE', '/health', 'GET'],
    ['PATCH', '/api/cron/logs', 'GET'],
  ])('returns 405 with an Allow header - %s %s', async (method, path, allowed) => {
    const a = await req(createMemorySystem().app, method, path)
    expectErrorBody(a, 405, new RegExp(`^Method ${method} not allowed on ${path.replace(/\//g, '\\/')}; allowed: .*${allowed}`))
    expect(a.headers.get('allow')).toContain(allowed)
  })

  it('lists both methods in Allow - /api/cron/logs has GET and DELETE', async () => {
    const a = await req(createMemorySystem().app, 'PUT', '/api/cron/logs')
    expect(a.status).toBe(405)
    expect(a.headers.get('allow')!.split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'DELETE']))
  })
})

describe('unexpected errors', () => {
  it('returns a generic 500 without a stack trace - a port throws a plain Error', async () => {
    const sys = createMemorySystem()
    const secret = new Error('disk on fire at /var/secret/runs.jsonl')
    sys.runs.list = async () => {
      throw secret
    }
    const a = await req(sys.app, 'GET', '/api/cron/status')
    expectErrorBody(a, 500, 'Internal server error')
    expect(a.text).not.toMatch(/disk on fire|secret|\bat .*:\d+:\d+|\.ts\b|\.js\b/)
    expect(sys.unexpected).toEqual([secret])
  })

  it('returns a generic 500 - a route throws a non-Error value', async () => {
    const sys = createMemorySystem()
    sys.runs.list = async () => {
      throw 'a string, not an Error'
    }
    const a = await req(sys.app, 'GET', '/api/cron/runs')
    expectErrorBody(a, 500, 'Internal server error')
    expect(sys.unexpected).toMatchObject([{ cause: 'a string, not an Error' }])
  })
})

describe('clients of the original API', () => {
  it('accepts a bodiless POST like `requests.post(url)` - stop with no content type', async () => {
    const sys = createMemorySystem()
    await req(sys.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    expect((await req(sys.app, 'POST', '/api/cron/stop')).status).toBe(200)
  })

  it('accepts `"interval_seconds": 60.0` - Python json.dumps of a float that is an integer', async () => {
    const sys = createMemorySystem()
    const a = await req(sys.app, 'POST', '/api/cron/start', { body: '{"interval_seconds": 60.0}', headers: JSON_TYPE })
    expect(a.status).toBe(200)
    await sys.shutdown()
  })
})
