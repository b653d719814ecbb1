/**
 * Request limits over a real server: bodies over 64 KiB (with and without Content-Length),
 * JSON-only POST bodies, bounded query parameters, and transport-level errors (oversized
 * headers, garbage requests): every refusal carries the error body, and nothing starts.
 */
import { describe, expect, it } from 'vitest'
import { call, daemonPidsOf, expectError, fixture, rawRequest, serverForTest } from './support.js'

const pipeline = { name: 'limits', steps: [{ name: 'hello', run: fixture('print-lines.mjs', '1') }] }
const LIMIT = 64 * 1024

/** A start body of exactly `size` bytes that would start a daemon were it not for its size. */
function startBodyOfSize(size: number): string {
  const head = '{"interval_seconds":3600,"pad":"'
  return head + 'x'.repeat(size - head.length - 2) + '"}'
}

/** A request body sent chunked (no Content-Length), `size` bytes in 8 KiB pieces. */
function chunkedBody(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text)
  let at = 0
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close()
      controller.enqueue(bytes.subarray(at, at + 8192))
      at += 8192
    },
  })
}

async function fetchChunked(url: string, method: string, body: string, contentType = 'application/json') {
  const res = await fetch(url, {
    method,
    headers: { 'Content-Type': contentType },
    body: chunkedBody(body),
    duplex: 'half',
  } as RequestInit)
  const text = await res.text()
  return { status: res.status, text, headers: res.headers, body: JSON.parse(text) }
}

describe('request limits over a real server', () => {
  it('answers 413 with the error body - bodies over 64 KiB, with Content-Length or chunked', async () => {
    const server = await serverForTest({ pipeline })
    const tooBig = startBodyOfSize(LIMIT + 1)
    for (const [method, path] of [
      ['POST', '/api/cron/start'],
      ['POST', '/api/cron/stop'],
      ['POST', '/api/cron/run'],
      ['DELETE', '/api/cron/logs'],
    ]) {
      expectError(await call(server.url, method!, path!, { body: tooBig, headers: { 'Content-Type': 'application/json' } }), 413, /65536/)
      expectError(await fetchChunked(server.url + path, method!, tooBig), 413, /65536/)
    }
    // Raw chunked framing, two 64 KiB chunks.
    const chunk = `10000\r\n${'y'.repeat(0x10000)}\r\n`
    const head = `POST /api/cron/start HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`
    const raw = await rawRequest(server.url, `${head}${chunk}${chunk}0\r\n\r\n`)
    expect(raw.status).toBe(413)
    expect(raw.json).toMatchObject({ error: true, detail: expect.stringMatching(/65536/) })
    // 16 MiB, never terminated: the server stops reading at the limit and ends the connection
    // (the 413 it wrote may be lost to the reset while the client is still sending); nothing is
    // buffered, nothing starts, and it keeps serving.
    const flood = await rawRequest(server.url, head + `100000\r\n${'y'.repeat(0x100000)}\r\n`.repeat(16)).catch((err: Error) => err)
    if (!(flood instanceof Error)) expect(flood.status).toBe(413)
    else expect(flood.message).toMatch(/no HTTP answer/)
    // Exactly at the limit the body is read, and refused for what it says, not for its size.
    expectError(await call(server.url, 'POST', '/api/cron/start', { body: startBodyOfSize(LIMIT), headers: { 'Content-Type': 'application/json' } }), 400, /pad/)
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    expect((await call(server.url, 'GET', '/health')).status).toBe(200)
  })

  it('answers 415 with the error body - POST bodies that are not application/json', async () => {
    const server = await serverForTest({ pipeline })
    const json = '{"interval_seconds":3600}'
    const refused: [string, Record<string, string>, string][] = [
      ['/api/cron/start', { 'Content-Type': 'text/plain' }, json],
      ['/api/cron/start', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'interval_seconds=3600'],
      ['/api/cron/start', { 'Content-Type': 'multipart/form-data; boundary=b' }, `--b\r\nContent-Disposition: form-data; name="interval_seconds"\r\n\r\n3600\r\n--b--\r\n`],
      ['/api/cron/start', { 'Content-Type': 'application/xml' }, '<interval_seconds>3600</interval_seconds>'],
      ['/api/cron/stop', { 'Content-Type': 'text/plain' }, '{"mode":"drain"}'],
      ['/api/cron/stop', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'mode=drain'],
      ['/api/cron/run', { 'Content-Type': 'text/plain' }, 'now please'],
      ['/api/cron/run', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'a=b'],
    ]
    for (const [path, headers, body] of refused) {
      expectError(await call(server.url, 'POST', path, { headers, body }), 415, /application\/json/)
    }
    // A body with no Content-Type at all is not JSON either.
    const bare = await rawRequest(
      server.url,
      `POST /api/cron/start HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${json.length}\r\nConnection: close\r\n\r\n${json}`,
    )
    expect(bare.status).toBe(415)
    expect(bare.json).toMatchObject({ error: true })
    expect(daemonPidsOf(server.stateDir)).toEqual([])

    // JSON with a charset, and the original client's bodiless POST /stop, are fine.
    expectError(await call(server.url, 'POST', '/api/cron/stop', { headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: '{}' }), 409)
    expectError(await call(server.url, 'POST', '/api/cron/stop'), 409)
    expectError(await call(server.url, 'POST', '/api/cron/run'), 409)
  })

  it('answers 400 naming the parameter - query parameters out of bounds, malformed or repeated', async () => {
    const server = await serverForTest({ pipeline })
    const bad = ['0', '-1', '100001', '1e3', '1.5', '0x10', '%205', '5%20', '%2B5', '', 'abc', '%EF%BC%95', '%D9%A3', '9'.repeat(400), 'NaN', 'Infinity']
    for (const path of ['/api/cron/logs', '/api/cron/logs/tail', '/api/cron/logs/stream']) {
      for (const v of bad) expectError(await call(server.url, 'GET', `${path}?lines=${v}`), 400, /^lines: /)
      expectError(await call(server.url, 'GET', `${path}?lines=1&lines=2`), 400, /^lines: must be given once/)
    }
    for (const v of bad) expectError(await call(server.url, 'GET', `/api/cron/runs?limit=${v}`), 400, /^limit: /)
    expectError(await call(server.url, 'GET', '/api/cron/runs?limit=5&limit=5'), 400, /^limit: must be given once/)
    // The bounds themselves are accepted.
    for (const v of ['1', '100000', '007']) {
      expect((await call(server.url, 'GET', `/api/cron/logs/tail?lines=${v}`)).status, v).toBe(200)
      expect((await call(server.url, 'GET', `/api/cron/runs?limit=${v}`)).status, v).toBe(200)
    }
  })

  it('answers with the error body and keeps serving - oversized headers, an oversized URL and garbage on the socket', async () => {
    const server = await serverForTest({ pipeline })
    const cases = [
      `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'h'.repeat(64 * 1024)}\r\nConnection: close\r\n\r\n`,
      `GET /api/cron/status?pad=${'q'.repeat(64 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\nConnection: close\r\n\r\n`,
      'GARBAGE\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\nConnection: close\r\n\r\n',
      'POST /api/cron/start HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n',
      'GET /health HTTP/9.9\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Name: x\r\nConnection: close\r\n\r\n',
    ]
    for (const request of cases) {
      const res = await rawRequest(server.url, request)
      expect(res.status, `${request.slice(0, 60)} -> ${res.status}`).toBeGreaterThanOrEqual(400)
      expect(res.status).toBeLessThan(500)
      expect(res.headers['content-type'] ?? '', request.slice(0, 60)).toMatch(/^application\/json/)
      expect(res.json, request.slice(0, 60)).toEqual({ error: true, detail: expect.any(String), timestamp: expect.any(String) })
    }
    expect((await call(server.url, 'GET', '/health')).status).toBe(200)
    expect(daemonPidsOf(server.stateDir)).toEqual([])
  })
})
