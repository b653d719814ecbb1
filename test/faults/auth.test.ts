/**
 * Safe by default, over a real server: bearer tokens on /api/* and /metrics, the read-only
 * token, public liveness and docs, the start-up warning beyond loopback, and the audit lines.
 * Servers may bind 0.0.0.0 here, but every request goes to 127.0.0.1.
 */
import { describe, expect, it } from 'vitest'
import { call, daemonPidsOf, expectError, fixture, logText, rawRequest, readState, serverForTest, startDaemon, waitFor, waitForLog } from './support.js'

const TOKEN = 'flag-token-5c1f0e'
const ENV_TOKEN = 'env-token-overridden-by-the-flag'
const READ = 'read-token-a93b'
const pipeline = { name: 'auth', steps: [{ name: 'hello', run: fixture('print-lines.mjs', '1', '0', 'hello') }] }

/** Every protected route, with a method it answers. */
const PROTECTED: [string, string][] = [
  ['POST', '/api/cron/start'],
  ['POST', '/api/cron/stop'],
  ['POST', '/api/cron/run'],
  ['GET', '/api/cron/status'],
  ['GET', '/api/cron/logs'],
  ['GET', '/api/cron/logs/tail'],
  ['GET', '/api/cron/logs/stream'],
  ['DELETE', '/api/cron/logs'],
  ['GET', '/api/cron/runs'],
  ['GET', '/api/cron/runs/20261128T000000Z-0000/logs'],
  ['GET', '/api/cron/health'],
  ['GET', '/api/no-such-route'],
  ['GET', '/metrics'],
]

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` })

describe('auth over a real server', () => {
  it('answers 401 with WWW-Authenticate: Bearer and the error body - every /api route and /metrics without a valid token', async () => {
    const server = await serverForTest({ pipeline, args: ['--token', TOKEN], env: { CRON_API_TOKEN: ENV_TOKEN } })
    const wrong: Record<string, string>[] = [
      {},
      bearer('nope'),
      bearer(`${TOKEN}x`),
      bearer(TOKEN.slice(0, -1)),
      bearer(ENV_TOKEN), // the flag wins over the environment
      { Authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}` },
      { Authorization: 'Bearer' },
      { Authorization: TOKEN },
    ]
    for (const [method, path] of PROTECTED) {
      for (const headers of wrong) {
        const res = await call(server.url, method, path, { headers })
        expectError(res, 401)
        expect(res.headers.get('www-authenticate'), `${method} ${path}`).toMatch(/^Bearer\b/)
      }
    }
    // The stream answers 401 at once instead of opening: no event stream without a token.
    expect((await call(server.url, 'GET', '/api/cron/logs/stream')).headers.get('content-type')).not.toMatch(/event-stream/)
    expect(daemonPidsOf(server.stateDir)).toEqual([])

    // /health, the dashboard and the docs stay public; the right token opens the rest.
    for (const path of ['/health', '/docs', '/redoc', '/openapi.json']) {
      expect((await call(server.url, 'GET', path)).status, path).toBe(200)
    }
    expect((await call(server.url, 'GET', '/')).status).not.toBe(401)
    expect((await call(server.url, 'GET', '/api/cron/status', { headers: bearer(TOKEN) })).status).toBe(200)
    expect((await call(server.url, 'GET', '/metrics', { headers: { Authorization: `bearer ${TOKEN}` } })).status).toBe(200)
  })

  it('never lets a path trick past the token - encoded, doubled, dotted and cased paths', async () => {
    const server = await serverForTest({ pipeline, args: ['--token', TOKEN] })
    const tricks = [
      '/%61pi/cron/status',
      '/api%2fcron%2fstatus',
      '/api/cron/%73tatus',
      '//api/cron/status',
      '/api//cron/status',
      '/api/cron/status/',
      '/./api/cron/status',
      '/health/../api/cron/status',
      '/health/%2e%2e/api/cron/status',
      '/docs/..%2f/api/cron/status',
      '/API/cron/status',
      '/api/cron/status;x',
      '/api/cron/status%00',
      '/metrics/',
      '/%6detrics',
    ]
    for (const path of tricks) {
      const res = await rawRequest(server.url, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
      expect([401, 404], `${path}: ${res.status} ${res.body}`).toContain(res.status)
      expect(res.json, path).toMatchObject({ error: true, detail: expect.any(String) })
      expect(res.body, path).not.toMatch(/is_running|pipeline_cron_/)
    }
    for (const path of ['/api/cron/start', '/%61pi/cron/start', '/health/../api/cron/start', '/api/cron/start/']) {
      const body = '{"interval_seconds":3600}'
      const res = await rawRequest(
        server.url,
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      )
      expect([401, 404], `${path}: ${res.status} ${res.body}`).toContain(res.status)
    }
    expect(daemonPidsOf(server.stateDir)).toEqual([])
  })

  it('lets the read token GET and answers 403 to POST and DELETE - read-only token', async () => {
    const server = await serverForTest({ pipeline, args: ['--token', TOKEN], env: { CRON_API_READ_TOKEN: READ } })
    for (const path of ['/api/cron/status', '/api/cron/logs', '/api/cron/logs/tail', '/api/cron/runs', '/metrics']) {
      const res = await call(server.url, 'GET', path, { headers: bearer(READ) })
      expect(res.status, `${path}: ${res.text}`).toBe(200)
    }
    await startDaemon(server, { interval_seconds: 3600, run_immediately: false }, bearer(TOKEN))
    const before = logText(server)
    for (const [method, path, json] of [
      ['POST', '/api/cron/start', { interval_seconds: 3600 }],
      ['POST', '/api/cron/stop', undefined],
      ['POST', '/api/cron/run', undefined],
      ['DELETE', '/api/cron/logs', undefined],
    ] as const) {
      expectError(await call(server.url, method, path, { headers: bearer(READ), json }), 403, /read-only/)
    }
    // Nothing happened: same daemon, no run, log not cleared.
    expect(daemonPidsOf(server.stateDir)).toHaveLength(1)
    expect(logText(server).startsWith(before)).toBe(true)
    expect((await call(server.url, 'GET', '/api/cron/runs', { headers: bearer(READ) })).body.runs).toEqual([])
    expect((await call(server.url, 'POST', '/api/cron/stop', { headers: bearer(TOKEN) })).status).toBe(200)
  })

  it('appends an audit line with the client address - start, run-now, clear and stop', async () => {
    const server = await serverForTest({ pipeline, args: ['--token', TOKEN] })
    const who = String.raw`(?:::ffff:)?127\.0\.0\.1`
    const auditLine = (what: string) => new RegExp(String.raw`^\[[\d :-]{19}\] Audit: ${who} ${what}`, 'm')

    const { pid } = await startDaemon(server, { interval_seconds: 3600, run_immediately: false }, bearer(TOKEN))
    await waitForLog(server, auditLine(String.raw`started the daemon with interval: 3600 seconds \(PID: ${pid}\)`))

    const run = await call(server.url, 'POST', '/api/cron/run', { headers: bearer(TOKEN) })
    expect(run.status, run.text).toBe(200)
    await waitForLog(server, auditLine('triggered a manual run'))
    await waitFor(() => !readState(server)?.current_run, { what: 'the manual run to end' })

    expect((await call(server.url, 'DELETE', '/api/cron/logs', { headers: bearer(TOKEN) })).status).toBe(200)
    await waitForLog(server, auditLine('cleared the logs'))

    expect((await call(server.url, 'POST', '/api/cron/stop', { headers: bearer(TOKEN) })).status).toBe(200)
    const text = await waitForLog(server, auditLine(String.raw`stopped the daemon \(PID: ${pid}, mode: cancel\)`))
    // Refused requests change nothing and leave no audit line.
    await call(server.url, 'DELETE', '/api/cron/logs', { headers: bearer('wrong') })
    expect(logText(server)).toBe(text)
  })

  it('answers 403 and starts nothing - cross-site browser requests without a token (form post, no-cors fetch, foreign Origin)', async () => {
    const server = await serverForTest({ pipeline })
    const self = new URL(server.url).host
    const crossSite: [string, string, Record<string, string>, string?][] = [
      // A <form method=post> on another site: an empty form body, so no 415 to stop it.
      ['POST', '/api/cron/start', { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '0', Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' }],
      // fetch(url, { method: 'POST', mode: 'no-cors' }): no body, no content type.
      ['POST', '/api/cron/start', { 'Sec-Fetch-Site': 'cross-site', Origin: 'http://evil.example' }],
      ['POST', '/api/cron/stop', { 'Sec-Fetch-Site': 'same-site', Origin: 'http://localhost:3000' }],
      // An older browser: Origin only.
      ['POST', '/api/cron/run', { Origin: 'http://evil.example' }],
      ['POST', '/api/cron/start', { Origin: 'null' }],
      ['DELETE', '/api/cron/logs', { Origin: 'http://evil.example:80' }],
    ]
    for (const [method, path, headers] of crossSite) {
      const res = await rawRequest(
        server.url,
        `${method} ${path} HTTP/1.1\r\nHost: ${self}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}Connection: close\r\n\r\n`,
      )
      expect(res.status, `${method} ${path} ${JSON.stringify(headers)}: ${res.body}`).toBe(403)
      expect(res.json).toMatchObject({ error: true, detail: expect.stringMatching(/Cross-site request refused/) })
    }
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    // The dashboard (same origin), and clients that are not browsers, go through.
    expectError(await call(server.url, 'POST', '/api/cron/stop', { headers: { Origin: `http://${self}`, 'Sec-Fetch-Site': 'same-origin' } }), 409)
    expectError(await call(server.url, 'POST', '/api/cron/stop', { headers: { Origin: `http://${self}` } }), 409)
    expectError(await call(server.url, 'POST', '/api/cron/stop'), 409)
    // Reading stays open to any page (CORS keeps the answer from a foreign one).
    expect((await call(server.url, 'GET', '/api/cron/status', { headers: { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' } })).status).toBe(200)
  })

  it('prints a WARNING at start-up - bound to 0.0.0.0 without a token', async () => {
    const open = await serverForTest({ pipeline, args: ['--host', '0.0.0.0'] })
    // The warning follows the "listening on" line the helper waits for.
    await waitFor(() => /^WARNING: listening on 0\.0\.0\.0 without a token: .*--token or CRON_API_TOKEN/m.test(open.output()), {
      timeoutMs: 5000,
      what: 'the start-up warning',
    })
    // Reached over loopback only.
    const port = new URL(open.url).port
    expect((await call(`http://127.0.0.1:${port}`, 'GET', '/health')).status).toBe(200)

    const guarded = await serverForTest({ pipeline, args: ['--host', '0.0.0.0', '--token', TOKEN] })
    const loopback = await serverForTest({ pipeline })
    // Both have answered a request, so anything they print at start-up is out by now.
    expect((await call(`http://127.0.0.1:${new URL(guarded.url).port}`, 'GET', '/health')).status).toBe(200)
    expect((await call(loopback.url, 'GET', '/health')).status).toBe(200)
    expect(guarded.output()).not.toMatch(/WARNING/)
    expect(loopback.output()).not.toMatch(/WARNING/)
  })
})
