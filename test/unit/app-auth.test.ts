/** Bearer-token auth: /api/* and /metrics need the token, /health stays public, the read token may only GET. */
import { describe, expect, it } from 'vitest'
import { createMemorySystem } from '../fakes/system.js'
import { expectErrorBody, req } from './http.js'

const TOKEN = 'full-token-0123456789'
const READ = 'read-token-9876543210'
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` })
const secured = () => createMemorySystem({ token: TOKEN, readToken: READ })

describe('with a token configured', () => {
  it.each([
    ['GET', '/api/cron/status'],
    ['GET', '/api/cron/logs'],
    ['GET', '/api/cron/logs/tail'],
    ['DELETE', '/api/cron/logs'],
    ['POST', '/api/cron/start'],
    ['POST', '/api/cron/stop'],
    ['POST', '/api/cron/run'],
    ['GET', '/api/cron/runs'],
    ['GET', '/metrics'],
  ])('returns 401 with WWW-Authenticate: Bearer - %s %s without a token', async (method, path) => {
    const sys = secured()
    const a = await req(sys.app, method, path)
    expectErrorBody(a, 401, /Bearer/)
    expect(a.headers.get('www-authenticate')).toMatch(/^Bearer\b/)
    expect(sys.launcher.launches).toEqual([])
  })

  it('returns 401 - wrong token', async () => {
    const a = await req(secured().app, 'GET', '/api/cron/status', { headers: bearer('wrong-token') })
    expectErrorBody(a, 401, 'Invalid token')
    expect(a.headers.get('www-authenticate')).toMatch(/^Bearer\b.*invalid_token/)
  })

  it('returns 401 - another scheme than Bearer', async () => {
    const a = await req(secured().app, 'GET', '/api/cron/status', { headers: { Authorization: `Basic ${btoa(`x:${TOKEN}`)}` } })
    expectErrorBody(a, 401)
  })

  it('returns 401 - the token as a prefix of the real one', async () => {
    const a = await req(secured().app, 'GET', '/api/cron/status', { headers: bearer(TOKEN.slice(0, -1)) })
    expectErrorBody(a, 401, 'Invalid token')
  })

  it('answers 200 - the right token, any case of "Bearer"', async () => {
    const sys = secured()
    expect((await req(sys.app, 'GET', '/api/cron/status', { headers: bearer(TOKEN) })).status).toBe(200)
    expect((await req(sys.app, 'GET', '/api/cron/status', { headers: { Authorization: `bearer ${TOKEN}` } })).status).toBe(200)
  })

  it('lets the full token start and stop - POST routes', async () => {
    const sys = secured()
    expect((await req(sys.app, 'POST', '/api/cron/start', { json: { interval_seconds: 60 }, headers: bearer(TOKEN) })).status).toBe(200)
    expect((await req(sys.app, 'POST', '/api/cron/stop', { headers: bearer(TOKEN) })).status).toBe(200)
  })

  it('keeps /health public - no token', async () => {
    const a = await req(secured().app, 'GET', '/health')
    expect(a.status).toBe(200)
    expect(a.body.status).toBe('healthy')
  })

  it('checks the token before validating the body - bad body without a token', async () => {
    expectErrorBody(await req(secured().app, 'POST', '/api/cron/start', { json: { interval: 60 } }), 401)
  })
})

describe('the read-only token', () => {
  it.each([
    ['/api/cron/status'],
    ['/api/cron/logs'],
    ['/api/cron/logs/tail'],
    ['/api/cron/runs'],
  ])('may GET - %s', async (path) => {
    expect((await req(secured().app, 'GET', path, { headers: bearer(READ) })).status).toBe(200)
  })

  it.each([
    ['POST', '/api/cron/start'],
    ['POST', '/api/cron/stop'],
    ['POST', '/api/cron/run'],
    ['DELETE', '/api/cron/logs'],
  ])('returns 403 - %s %s', async (method, path) => {
    const sys = secured()
    sys.logFile.text = 'kept\n'
    const a = await req(sys.app, method, path, { headers: bearer(READ), ...(method === 'POST' && path.endsWith('start') ? { json: { interval_seconds: 60 } } : {}) })
    expectErrorBody(a, 403, 'The read-only token may only use GET routes')
    expect(sys.launcher.launches).toEqual([])
    expect(sys.logFile.text).toBe('kept\n')
  })
})

describe('without a token configured', () => {
  it('needs no Authorization header - every route open', async () => {
    const sys = createMemorySystem()
    expect((await req(sys.app, 'GET', '/api/cron/status')).status).toBe(200)
  })
})
