import { OpenAPIHono } from '@hono/zod-openapi'
import { Hono } from 'hono'
import { afterAll, describe, expect, it } from 'vitest'
import { createNodeDocsAssets } from '../../adapters/posix/docs-assets.js'
import { createMemorySystem } from '../fakes/system.js'

// The real adapter reads the real swagger-ui-dist and redoc files: no fake where the real thing runs.
const system = createMemorySystem({ token: 's3cret', app: { docsAssets: createNodeDocsAssets() } })
afterAll(() => system.shutdown())
const app = system.app

/** Every src/href in a page: they must be relative, so the page works under any mount point. */
function urlsIn(html: string): string[] {
  return [...html.matchAll(/(?:src|href|spec-url)="([^"]+)"/g)].map((m) => m[1]!)
}

describe('docs pages', () => {
  it.each(['/docs', '/redoc'])('serves %s as HTML without a token, with only relative URLs', async (path) => {
    const res = await app.request(path)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const html = await res.text()
    const urls = urlsIn(html)
    expect(urls.length).toBeGreaterThan(2)
    for (const url of urls) expect(url, `${path} links ${url}`).toMatch(/^(docs\/assets\/[\w.-]+|openapi\.json)$/)
    expect(html).not.toMatch(/https?:\/\//)
  })

  it('points Swagger UI at openapi.json with the online validator off', async () => {
    const html = await (await app.request('/docs')).text()
    expect(html).toContain('"url":"openapi.json"')
    expect(html).toContain('"validatorUrl":"none"')
  })

  it('serves /openapi.json without a token while /api needs one', async () => {
    expect((await app.request('/openapi.json')).status).toBe(200)
    expect((await app.request('/api/cron/status')).status).toBe(401)
  })
})

describe('docs assets', () => {
  it.each([
    ['swagger-ui.css', 'text/css; charset=utf-8'],
    ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
    ['redoc.standalone.js', 'text/javascript; charset=utf-8'],
    ['favicon-32x32.png', 'image/png'],
  ])('serves %s as %s', async (name, type) => {
    const res = await app.request(`/docs/assets/${name}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe(type)
    expect(res.headers.get('cache-control')).toContain('max-age')
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100)
  })

  it('answers 304 with no body - If-None-Match holds the ETag it sent', async () => {
    const first = await app.request('/docs/assets/swagger-ui.css')
    const tag = first.headers.get('etag')
    expect(tag).toMatch(/^"[^"]+"$/)
    const again = await app.request('/docs/assets/swagger-ui.css', { headers: { 'If-None-Match': tag! } })
    expect(again.status).toBe(304)
    expect(again.headers.get('etag')).toBe(tag)
    expect(await again.text()).toBe('')
  })

  it('serves ReDoc without its CDN logo URL and without source-map comments', async () => {
    const js = await (await app.request('/docs/assets/redoc.standalone.js')).text()
    // Booleans, not toContain: a failure must not print a 1 MB bundle.
    expect(js.includes('Redoc')).toBe(true)
    expect(js.includes('cdn.redoc.ly')).toBe(false)
    expect(js.slice(-300).includes('sourceMappingURL')).toBe(false)
  })

  it('serves a PNG favicon at /favicon.ico', async () => {
    const res = await app.request('/favicon.ico')
    expect(res.status).toBe(200)
    const bytes = new Uint8Array(await res.arrayBuffer())
    expect([...bytes.slice(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG')
  })

  it.each(['package.json', '..%2Fpackage.json', 'index.html', 'swagger-ui-bundle.js.map'])('answers 404 with the error body for an asset not on the allow-list: %s', async (name) => {
    const res = await app.request(`/docs/assets/${name}`)
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ error: true, detail: expect.stringContaining('Not found') })
  })

  it('answers 404 with a clear detail when the app was given no docs assets', async () => {
    const bare = createMemorySystem()
    const res = await bare.app.request('/docs/assets/swagger-ui.css')
    expect(res.status).toBe(404)
    expect(((await res.json()) as { detail: string }).detail).toBe('Not found: /docs/assets/swagger-ui.css (the docs assets are not available on this server)')
  })
})

describe('docs mounted under a prefix', () => {
  it.each([
    ['a Hono parent', () => new Hono().route('/cron', app)],
    ['an OpenAPIHono parent', () => new OpenAPIHono().route('/cron', app)],
  ])('serves pages, assets and a document whose server is the prefix, under %s', async (_, makeParent) => {
    const parent = makeParent()
    const page = await parent.request('/cron/docs')
    expect(page.status).toBe(200)
    // The page's relative URLs resolve under the prefix, and the app answers them there.
    for (const url of urlsIn(await page.text())) {
      const resolved = new URL(url, 'http://127.0.0.1/cron/docs').pathname
      expect(resolved.startsWith('/cron/')).toBe(true)
      expect((await parent.request(resolved)).status, resolved).toBe(200)
    }
    const doc = (await (await parent.request('/cron/openapi.json')).json()) as any
    expect(doc.servers[0].url).toBe('/cron')
    expect(doc.paths['/api/cron/start']).toBeDefined()
  })
})
