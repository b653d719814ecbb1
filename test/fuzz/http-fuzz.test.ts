/**
 * Malformed requests, generated from a fixed seed (the same ~300 requests on every run), sent
 * as raw bytes to a real server: bodies, queries, headers, methods and paths. Every answer is
 * a 4xx with the error body (or a documented 2xx for a harmless GET), never a 5xx; the server
 * stays up; and no daemon was ever started.
 */
import { describe, expect, it } from 'vitest'
import { call, daemonPidsOf, fixture, isAlive, logText, rawRequest, readState, serverForTest, type RawResponse, type TestServer } from '../faults/support.js'

const SEED = 0x5eed_c0de

interface Case {
  label: string
  request: Buffer
  /** A harmless GET (or HEAD) that may legitimately answer 2xx. */
  mayPass?: boolean
  /** GET /api/cron/health answers 503 while no daemon runs: the documented dead-man check. */
  deadMan?: boolean
  head?: boolean
}

describe('HTTP fuzz', () => {
  it(`answers every malformed request with a 4xx error body (or a documented 2xx), never a 5xx, and starts nothing - ${`seed ${SEED.toString(16)}`}`, async () => {
    const server = await serverForTest({ pipeline: { name: 'fuzz', steps: [{ name: 'hello', run: fixture('print-lines.mjs', '1') }] } })
    const cases = generateCases(SEED)
    expect(cases.length).toBeGreaterThanOrEqual(250)
    // Same seed, same requests: the run is reproducible.
    expect(generateCases(SEED).map((c) => c.request.toString('latin1'))).toEqual(cases.map((c) => c.request.toString('latin1')))

    const statuses = new Map<number, number>()
    const failures: string[] = []
    await inPool(cases, 4, async (c) => {
      let res: RawResponse
      try {
        res = await rawRequest(server.url, c.request, 15_000)
      } catch (err) {
        failures.push(`${c.label}: ${(err as Error).message}`)
        return
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      const problem = judge(c, res)
      if (problem) failures.push(`${c.label}: ${problem} -> ${res.status} ${res.body.slice(0, 160)}`)
    })
    const histogram = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}x${n}`).join(' ')
    expect(failures.slice(0, 10), `${failures.length} of ${cases.length} failed (statuses: ${histogram})`).toEqual([])

    // Malformed input is the client's problem: the server reported no unexpected error.
    expect(server.output()).not.toMatch(/unexpected error/)
    // The server is up, and nothing was started.
    expect(isAlive(server.pid)).toBe(true)
    expect((await call(server.url, 'GET', '/health')).status).toBe(200)
    expect((await call(server.url, 'GET', '/api/cron/status')).body).toMatchObject({ is_running: false, pid: null })
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    expect(readState(server)).toBeNull()
    expect(logText(server)).not.toMatch(/Daemon started/)
    expect((await call(server.url, 'GET', '/api/cron/runs')).body.runs).toEqual([])
  }, 120_000)
})

function judge(c: Case, res: RawResponse): string | null {
  if (!(res.status >= 200 && res.status < 600)) return 'no status line'
  if (res.status >= 500 && !(c.deadMan && res.status === 503)) return '5xx'
  if (res.status < 400) {
    if (!c.mayPass) return 'accepted'
    return /root:x:0:0|"name":\s*"pipeline-cron"|"devDependencies"/.test(res.body) ? 'served a file from outside the app' : null
  }
  if (c.head) return null // HEAD answers carry no body
  if (!/^application\/json/.test(res.headers['content-type'] ?? '')) return `content-type ${res.headers['content-type']}`
  const b = res.json
  if (!b || b.error !== true || typeof b.detail !== 'string' || !b.detail || typeof b.timestamp !== 'string') return 'not the error body'
  if (/\n\s+at |\.ts:\d+|\.js:\d+/.test(res.body)) return 'stack trace'
  return null
}

async function inPool<T>(items: T[], width: number, fn: (item: T) => Promise<void>) {
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!)
    }),
  )
}

// -------------------------------------------------------------------------------------------
// The generator. Everything below depends on the seed only.
// -------------------------------------------------------------------------------------------

/** mulberry32: a small, fast, seedable PRNG. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1))
  const pick = <T,>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(0, 255)))
  return { next, int, pick, bytes }
}

type Rng = ReturnType<typeof prng>

const START_KEYS = new Set(['interval_seconds', 'cron', 'timezone', 'run_immediately'])

/** True when a body could be a valid start body (then it is never sent to /start). */
function couldStart(body: Buffer): boolean {
  let doc: unknown
  try {
    // The server decodes with TextDecoder, which drops a leading BOM.
    doc = JSON.parse(body.toString('utf8').replace(/^\uFEFF/, ''))
  } catch {
    return false
  }
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) && Object.keys(doc).every((k) => START_KEYS.has(k))
}

function http(method: string, target: string, headers: [string, string][] = [], body?: Buffer): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...headers.map(([k, v]) => `${k}: ${v}`)]
  if (body !== undefined && !headers.some(([k]) => /^(content-length|transfer-encoding)$/i.test(k))) lines.push(`Content-Length: ${body.length}`)
  lines.push('Connection: close', '', '')
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body ?? Buffer.alloc(0)])
}

function generateCases(seed: number): Case[] {
  const r = prng(seed)
  return [...bodyCases(r), ...queryCases(r), ...headerCases(r), ...methodCases(r), ...pathCases(r)]
}

const VALID_DOC = '{"interval_seconds":60,"cron":"*/5 * * * *","timezone":"Europe/Berlin","run_immediately":true,"mode":"drain"}'
const BAD_NUMBERS = ['1e309', '-1e309', '1e308', '9007199254740993', '123456789012345678901234567890', '-0', '0', '-1', '0.5', '1e-400', '"60"', 'null', 'true', '[60]', '{"v":60}', '6e1x', '0x3c', '+60', '.5', '1_000']
const WEIRD_STRINGS = ['\\u0000', '\\ud800', '\\udfff\\ud800', '💥', 'Ω≈ç√', '\\u202e', 'a'.repeat(300), '', ' ', '\\n', '%00', '../../etc/passwd']

function bodyCases(r: Rng): Case[] {
  const out: Case[] = []
  const kinds = [
    () => r.bytes(r.int(1, 3000)),
    () => Buffer.from(VALID_DOC.slice(0, r.int(1, VALID_DOC.length - 1))),
    () => Buffer.from(`{"interval_seconds":${r.pick(BAD_NUMBERS)}}`),
    () => Buffer.from(`{"interval_seconds":60,"${r.pick(['interval', 'intervalSeconds', 'ınterval_seconds', 'interval_seconds\\u0000', 'interval_seconds\\u200b', 'x'])}":1}`),
    () => Buffer.from(`{"cron":"${r.pick(WEIRD_STRINGS)}"}`),
    () => Buffer.from(`{"cron":"* * * * *","timezone":"${r.pick(WEIRD_STRINGS)}"}`),
    () => Buffer.from(`{"interval_seconds":60,"interval_seconds":${r.pick(BAD_NUMBERS)}}`),
    () => Buffer.from(`{"run_immediately":${r.pick(['"yes"', '1', 'null', '[]'])}}`),
    () => Buffer.from(`{"mode":"${r.pick(WEIRD_STRINGS)}"}`),
    () => Buffer.concat([Buffer.from('{"interval_seconds":'), Buffer.from([0, 0, 0]), Buffer.from('60}')]),
    () => Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"interval_seconds":"x"}')]),
    () => Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]), // overlong UTF-8 in a key
    () => Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]), // UTF-16 with a BOM
    () => Buffer.from(r.pick(['', ' ', '\n', 'null', '[]', '"x"', '42', 'true', '{', '}', '{"a":', '[[[', 'NaN', 'Infinity', "{'interval_seconds':60}"])),
  ]
  for (let i = 0; i < 90; i++) {
    const k = r.int(0, kinds.length - 1)
    const body = kinds[k]!()
    let path = r.pick(['/api/cron/start', '/api/cron/start', '/api/cron/stop', '/api/cron/run'])
    // A body that might start the daemon goes to /stop instead (409 there: not running).
    if (path === '/api/cron/start' && (body.length === 0 || couldStart(body))) path = '/api/cron/stop'
    out.push({ label: `body#${i} kind ${k} ${path} ${JSON.stringify(body.toString('latin1').slice(0, 40))}`, request: http('POST', path, [['Content-Type', 'application/json']], body) })
  }
  // Deep nesting: 10k levels of arrays and of objects, under the 64 KiB limit.
  const deep = [
    `{"interval_seconds":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
    `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
    `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
    `{"cron":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`,
    '['.repeat(30_000),
  ]
  for (const [i, d] of deep.entries()) {
    for (const path of ['/api/cron/start', '/api/cron/stop']) {
      out.push({ label: `deep#${i} ${path}`, request: http('POST', path, [['Content-Type', 'application/json']], Buffer.from(d)) })
    }
  }
  return out
}

const QUERY_PATHS = ['/api/cron/logs', '/api/cron/logs/tail', '/api/cron/runs', '/api/cron/health', '/api/cron/logs/stream', '/api/cron/status', '/health', '/metrics']
const PARAM_FOR: Record<string, string> = {
  '/api/cron/logs': 'lines',
  '/api/cron/logs/tail': 'lines',
  '/api/cron/logs/stream': 'lines',
  '/api/cron/runs': 'limit',
  '/api/cron/health': 'max_age_seconds',
}

function queryValue(r: Rng): string {
  return r.pick([
    () => String(r.int(-1_000_000, 2_000_000)),
    () => String(r.next() * 1000),
    () => `${r.int(1, 9)}e${r.int(1, 400)}`,
    () => `0x${r.int(1, 255).toString(16)}`,
    () => r.pick(['%EF%BC%95', '%D9%A3', '%E2%82%AC', '%F0%9F%92%A5', '%00', '%zz', '%', '%%31', '%2B5', '%205', '5%20', '+5', '-0', 'NaN', 'Infinity', '', 'null', 'true']),
    () => '9'.repeat(r.int(7, 5000)),
    () => encodeURIComponent(r.bytes(r.int(1, 30)).toString('latin1')),
  ])()
}

function queryCases(r: Rng): Case[] {
  const out: Case[] = []
  for (let i = 0; i < 70; i++) {
    const path = r.pick(QUERY_PATHS)
    const known = PARAM_FOR[path]
    const shape = r.int(0, 4)
    let query: string
    let maybeValid = false
    if (known && shape <= 2) {
      const v = queryValue(r)
      query = `${known}=${v}`
      maybeValid = /^\d{1,6}$/.test(v) || /^\d{1,9}$/.test(v)
    } else if (known && shape === 3) {
      query = `${known}=1&${known}=${queryValue(r)}`
    } else {
      query = `${r.pick(['junk', 'lines[]', 'limit.x', '__proto__', 'constructor', encodeURIComponent('ü'), 'a'.repeat(r.int(1, 2000))])}=${queryValue(r)}`
      maybeValid = true
    }
    // A stream with valid parameters would stay open: only invalid ones go to it.
    if (path === '/api/cron/logs/stream' && maybeValid) query = `lines=-${r.int(1, 99)}`
    const harmless = path !== '/api/cron/logs/stream'
    out.push({
      label: `query#${i} GET ${path}?${query.slice(0, 60)}`,
      request: http('GET', `${path}?${query}`),
      mayPass: harmless,
      deadMan: path === '/api/cron/health',
    })
  }
  return out
}

function headerCases(r: Rng): Case[] {
  const out: Case[] = []
  const contentTypes = [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data',
    'application/jsonx',
    'json',
    '*/*',
    'application/',
    '',
    'application/json\u0001',
    `application/json; ${'p=v; '.repeat(800)}`,
    'application/json; charset=bogus-9',
    'APPLICATION/JSON; charset="utf-8"',
    'application/problem+json',
    'text/json',
  ]
  for (let i = 0; i < 28; i++) {
    const ct = r.pick(contentTypes)
    const body = Buffer.from(r.pick(['{"mode":"sideways"}', '{"interval_seconds":-5}', 'mode=drain', '<x/>', '{}x']))
    const path = r.pick(['/api/cron/stop', '/api/cron/run', '/api/cron/start'])
    const safePath = path === '/api/cron/start' && couldStart(body) ? '/api/cron/stop' : path
    out.push({ label: `ctype#${i} ${safePath} ${JSON.stringify(ct.slice(0, 30))}`, request: http('POST', safePath, [['Content-Type', ct]], body) })
  }
  const raw: [string, Buffer][] = [
    ['huge header 12 KiB', http('GET', '/api/cron/status', [['X-Big', 'h'.repeat(12 * 1024)]])],
    ['huge header 20 KiB', http('GET', '/api/cron/status', [['X-Big', 'h'.repeat(20 * 1024)]])],
    ['600 headers', http('GET', '/api/cron/status', Array.from({ length: 600 }, (_, i) => [`X-H${i}`, String(i)] as [string, string]))],
    ['obs-fold', Buffer.from('GET /api/cron/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Fold: a\r\n  b\r\nConnection: close\r\n\r\n')],
    ['high-bit header value', Buffer.concat([Buffer.from('GET /api/cron/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bytes: '), Buffer.from([0xc3, 0xa9, 0xff, 0x80]), Buffer.from('\r\nConnection: close\r\n\r\n')])],
    ['NUL in header value', Buffer.from('GET /api/cron/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Nul: a\0b\r\nConnection: close\r\n\r\n', 'latin1')],
    ['two Content-Lengths', Buffer.from('POST /api/cron/stop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{}')],
    ['negative Content-Length', Buffer.from('POST /api/cron/stop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: -2\r\nConnection: close\r\n\r\n{}')],
    ['Content-Length and chunked', Buffer.from('POST /api/cron/stop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n')],
    ['bad chunk size', Buffer.from('POST /api/cron/stop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n')],
    ['Transfer-Encoding gzip', Buffer.from('POST /api/cron/stop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n{}')],
    ['Content-Encoding gzip, not gzip', http('POST', '/api/cron/stop', [['Content-Type', 'application/json'], ['Content-Encoding', 'gzip']], Buffer.from('{"mode":1}'))],
    ['Expect 100-continue', http('POST', '/api/cron/stop', [['Content-Type', 'application/json'], ['Expect', '100-continue']], Buffer.from('{"mode":"x"}'))],
    ['Expect nonsense', http('POST', '/api/cron/stop', [['Content-Type', 'application/json'], ['Expect', 'coffee']], Buffer.from('{}'))],
    ['junk Authorization (no token set)', http('POST', '/api/cron/run', [['Authorization', `Bearer ${'x'.repeat(5000)}`]])],
    ['Upgrade websocket', http('GET', '/api/cron/logs/stream?lines=0', [['Upgrade', 'websocket'], ['Connection', 'Upgrade']])],
  ]
  for (const [label, request] of raw) out.push({ label: `header: ${label}`, request, mayPass: label.startsWith('huge header 12') || label === '600 headers' || label.startsWith('high-bit') })
  return out
}

function methodCases(r: Rng): Case[] {
  const out: Case[] = []
  const methods = ['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL', 'LOCK', 'PURGE', 'SEARCH', 'QUERY', 'LINK', 'CONNECT', 'get', 'G\0T', 'GETT', 'HEAD', 'M-SEARCH']
  const paths = ['/api/cron/start', '/api/cron/stop', '/api/cron/status', '/api/cron/run', '/api/cron/logs', '/api/cron/logs/tail', '/api/cron/runs', '/health', '/metrics', '/openapi.json', '/nope']
  for (let i = 0; i < 40; i++) {
    const method = r.pick(methods)
    let path = r.pick(paths)
    // DELETE /api/cron/logs is a real request (it clears the log): not a malformed one.
    if (method === 'DELETE' && path === '/api/cron/logs') path = '/api/cron/logs/tail'
    const target = method === 'CONNECT' ? '127.0.0.1:80' : path
    const head = method === 'HEAD'
    out.push({ label: `method#${i} ${method} ${target}`, request: http(method, target), head, mayPass: head })
  }
  return out
}

function pathCases(r: Rng): Case[] {
  const out: Case[] = []
  const fixed = [
    '/..',
    '/../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/api/cron/runs/..%2f..%2f..%2fetc%2fpasswd/logs',
    '/api/cron/runs/%2e%2e/logs',
    '/api%2fcron%2fstatus',
    '/api/cron/status/../stop',
    '//api//cron//status',
    '/api\\cron\\status',
    '/api/cron/status;jsessionid=1',
    '/api/cron/%00',
    '/%zz',
    '/%',
    '/api/cron/runs/%F0%9F%92%A5/logs',
    '/api/cron/runs/' + 'x'.repeat(4000) + '/logs',
    '/' + 'a/'.repeat(3000),
    '/' + 'p'.repeat(20_000),
    'http://evil.example/api/cron/nope',
    'http://[::1/api',
    '*',
    '/docs/../../../../etc/passwd',
    '/redoc/%2e%2e%2f%2e%2e%2fpackage.json',
  ]
  // URLs are normalised (`/..`, `%2e%2e`), so some land on a real GET route: harmless, as long as
  // nothing outside the app is served (checked in judge).
  for (const p of fixed) out.push({ label: `path ${p.slice(0, 60)}`, request: http('GET', p), mayPass: true })
  // Raw non-ASCII bytes in the request line.
  out.push({ label: 'path raw UTF-8', request: Buffer.concat([Buffer.from('GET /api/cron/'), Buffer.from('é💥', 'utf8'), Buffer.from(' HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')]) })
  for (let i = 0; i < 25; i++) {
    const segs = Array.from({ length: r.int(1, 6) }, () =>
      r.pick(['api', 'cron', '..', '.', '%2e%2e', '%2f', 'status', 'runs', 'logs', encodeURIComponent(r.bytes(r.int(1, 8)).toString('latin1')), '%00', 'x'.repeat(r.int(1, 300))]),
    )
    const p = `/${segs.join('/')}`
    out.push({ label: `path#${i} ${p.slice(0, 60)}`, request: http(r.pick(['GET', 'GET', 'HEAD']), p), mayPass: true, head: false })
  }
  return out.map((c) => (c.request.subarray(0, 4).toString() === 'HEAD' ? { ...c, head: true } : c))
}
