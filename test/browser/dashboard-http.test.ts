/** The dashboard over app.request(): the page, its assets, caching, mounting under a prefix. Fast: no browser. */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { DASHBOARD_ASSETS } from '../../src/dashboard/assets.js'
import { createMemorySystem } from '../fakes/system.js'
import { req } from '../unit/http.js'

const assetPaths = (html: string) => [...html.matchAll(/(?:src|href)="(\.\/assets\/[^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'))

describe('GET /', () => {
  it('returns the server-rendered page - no token needed', async () => {
    const { app } = createMemorySystem({ token: 'secret-token' })
    const a = await req(app, 'GET', '/')
    expect(a.status).toBe(200)
    expect(a.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(a.headers.get('cache-control')).toBe('no-cache')
    expect(a.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(a.headers.get('content-security-policy')).toContain("connect-src 'self'")
    expect(a.text.startsWith('<!DOCTYPE html><html lang="en">')).toBe(true)
    for (const id of ['start-form', 'interval', 'interval-error', 'cron', 'timezone', 'stop', 'run-now', 'clear-logs', 'log', 'log-filter', 'runs', 'chart', 'token-dialog']) {
      expect(a.text).toContain(`id="${id}"`)
    }
    expect(a.text).toContain('aria-describedby="interval-hint interval-error"')
    expect(a.text).toContain('<label for="interval">')
    // the API is still guarded
    expect((await req(app, 'GET', '/api/cron/status')).status).toBe(401)
  })

  it('shows the configured minimum interval next to the field', async () => {
    const { app } = createMemorySystem({ minIntervalSeconds: 30 })
    const a = await req(app, 'GET', '/')
    expect(a.text).toContain('min="30"')
    expect(a.text).toContain('at least 30')
  })

  it('references only relative, versioned assets and no other host', async () => {
    const { app } = createMemorySystem()
    const html = (await req(app, 'GET', '/')).text
    const assets = assetPaths(html)
    expect(assets.sort()).toEqual(
      Object.entries(DASHBOARD_ASSETS)
        .map(([name, f]) => `./assets/${name}?v=${f.hash}`)
        .sort(),
    )
    const bodies = [html, ...Object.values(DASHBOARD_ASSETS).map((f) => f.body)]
    for (const body of bodies) {
      // The SVG namespace is an identifier, not a request.
      const urls = [...body.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)]*/gi)].map((m) => m[0]).filter((u) => !u.includes('www.w3.org/2000/svg'))
      expect(urls).toEqual([])
      expect(body).not.toMatch(/@import|@font-face|url\(\s*['"]?(https?:)?\/\//i)
    }
  })

  it('returns 405 - POST /', async () => {
    const { app } = createMemorySystem()
    const a = await req(app, 'POST', '/')
    expect(a.status).toBe(405)
    expect(a.body.detail).toMatch(/not allowed/)
  })
})

describe('GET /assets/{name}', () => {
  it.each([
    ['dashboard.js', 'text/javascript; charset=utf-8'],
    ['dashboard.css', 'text/css; charset=utf-8'],
    ['dashboard-icon.svg', 'image/svg+xml'],
  ])('serves %s as %s, cached for a year at its versioned URL', async (name, type) => {
    const { app } = createMemorySystem({ token: 'secret-token' })
    const file = DASHBOARD_ASSETS[name as keyof typeof DASHBOARD_ASSETS]
    const a = await req(app, 'GET', `/assets/${name}?v=${file.hash}`)
    expect(a.status).toBe(200)
    expect(a.headers.get('content-type')).toBe(type)
    expect(a.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(a.headers.get('etag')).toBe(`"${file.hash}"`)
    expect(a.headers.get('x-content-type-options')).toBe('nosniff')
    expect(a.text).toBe(file.body)
  })

  it('asks for revalidation without the current version, and answers 304 to its ETag', async () => {
    const { app } = createMemorySystem()
    const plain = await req(app, 'GET', '/assets/dashboard.css')
    expect(plain.headers.get('cache-control')).toBe('no-cache')
    const again = await req(app, 'GET', '/assets/dashboard.css', { headers: { 'If-None-Match': plain.headers.get('etag')! } })
    expect(again.status).toBe(304)
    expect(again.text).toBe('')
  })

  it('returns 404 with the error body - unknown asset', async () => {
    const { app } = createMemorySystem()
    const a = await req(app, 'GET', '/assets/secrets.txt')
    expect(a.status).toBe(404)
    expect(a.body).toMatchObject({ error: true, detail: 'Not found: no dashboard asset named "secrets.txt"' })
  })

  it('serves a script that parses and is self-contained', async () => {
    const { app } = createMemorySystem()
    const js = (await req(app, 'GET', '/assets/dashboard.js')).text
    // Parses without running: a syntax error here would leave a blank dashboard.
    expect(() => new Function(js)).not.toThrow()
    expect(js).not.toMatch(/\bimport\s*\(|\brequire\(|__vite|__name\(/)
  })
})

describe('mounted under a prefix', () => {
  const mounted = () => {
    const parent = new Hono()
    parent.route('/ops/cron', createMemorySystem().app)
    return parent
  }

  it('redirects /prefix to /prefix/ with a relative Location, keeping the query', async () => {
    const a = await req(mounted(), 'GET', '/ops/cron?x=1')
    expect(a.status).toBe(301)
    expect(a.headers.get('location')).toBe('cron/?x=1')
  })

  it('serves the page at /prefix/ and its assets and API under the prefix', async () => {
    const app = mounted()
    const page = await req(app, 'GET', '/ops/cron/')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    for (const asset of assetPaths(page.text)) {
      const a = await req(app, 'GET', new URL(asset, 'http://x/ops/cron/').pathname)
      expect(a.status).toBe(200)
    }
    expect((await req(app, 'GET', '/ops/cron/api/cron/status')).status).toBe(200)
    expect((await req(app, 'GET', '/ops/cron/nope')).status).toBe(404)
  })
})
