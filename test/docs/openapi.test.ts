import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, describe, expect, it } from 'vitest'
import pkg from '../../package.json' with { type: 'json' }
import { createMemorySystem } from '../fakes/system.js'

const METHODS = ['get', 'put', 'post', 'delete', 'patch']
const system = createMemorySystem()
afterAll(() => system.shutdown())

async function fetchDocument(): Promise<any> {
  const res = await system.app.request('/openapi.json')
  expect(res.status).toBe(200)
  return res.json()
}

/** Every `METHOD path` the app routes to, read from the app itself (middleware is method ALL). */
function registeredRoutes(): string[] {
  const keys = system.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`)
  return [...new Set(keys)].sort()
}

function documentedRoutes(doc: any): string[] {
  const out: string[] = []
  for (const [path, item] of Object.entries<any>(doc.paths)) for (const m of METHODS) if (item[m]) out.push(`${m} ${path}`)
  return out.sort()
}

function operations(doc: any): Array<{ key: string; path: string; method: string; op: any }> {
  return documentedRoutes(doc).map((key) => {
    const [method, path] = key.split(' ') as [string, string]
    return { key, path, method, op: doc.paths[path][method] }
  })
}

/** The documented rule: every route under /api/ and /metrics needs the token. */
const isGuardedPath = (path: string) => path.startsWith('/api/') || path === '/metrics'

const isErrorResponse = (r: any) => r?.content?.['application/json']?.schema?.$ref === '#/components/schemas/Error'

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = await fetchDocument()
    const validator = new Validator()
    const result = await validator.validate(doc)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
    expect(doc.info).toMatchObject({ title: 'pipeline-cron API', version: expect.any(String), description: expect.stringContaining('Bearer') })
  })

  it('carries the package.json version as info.version - the document changes with each release', async () => {
    const doc = await fetchDocument()
    expect(doc.info.version).toBe(pkg.version)
  })

  it('documents exactly the routes the app registers', async () => {
    const doc = await fetchDocument()
    const registered = registeredRoutes()
    // Sanity: the list really comes from the app (the original routes and the docs routes are in it).
    expect(registered).toEqual(expect.arrayContaining(['post /api/cron/start', 'get /health', 'get /openapi.json', 'get /docs']))
    expect(documentedRoutes(doc)).toEqual(registered)
  })

  it('documents error responses with the error body on every operation', async () => {
    const doc = await fetchDocument()
    expect(doc.components.schemas.Error.required).toEqual(['error', 'detail', 'timestamp'])
    for (const { key, path, method, op } of operations(doc)) {
      const errors = Object.entries<any>(op.responses).filter(([status]) => Number(status) >= 400)
      expect(errors.length, `${key} has no error response`).toBeGreaterThan(0)
      for (const [status, response] of errors) expect(isErrorResponse(response), `${key} ${status} is not the Error body`).toBe(true)
      expect(op.responses['500'], `${key}: 500`).toBeDefined()
      if (isGuardedPath(path)) {
        expect(op.responses['401'], `${key}: 401`).toBeDefined()
        expect(op.security, `${key}: security`).toEqual([{ bearerAuth: [] }])
        if (method !== 'get') expect(op.responses['403'], `${key}: 403`).toBeDefined()
      }
      if ((op.parameters ?? []).length > 0 || op.requestBody) expect(op.responses['400'], `${key}: 400 for its parameters or body`).toBeDefined()
      if (op.requestBody) expect(op.responses['413'], `${key}: 413`).toBeDefined()
    }
  })

  it('documents the original routes with their fields, parameters and examples', async () => {
    const doc = await fetchDocument()
    const start = doc.paths['/api/cron/start'].post
    expect(start.requestBody.content['application/json'].examples.every_minute.value).toEqual({ interval_seconds: 60 })
    expect(start.responses['200'].content['application/json'].example.message).toBe('Daemon started successfully with interval: 60 seconds (PID: 12345)')
    expect(start.responses['409'].content['application/json'].example.detail).toBe('Daemon is already running (PID: 12345)')
    expect(doc.paths['/api/cron/stop'].post.responses['200'].content['application/json'].example.message).toBe('Daemon stopped successfully')
    expect(doc.paths['/api/cron/logs'].delete.responses['200'].content['application/json'].example.message).toBe('Logs cleared successfully')
    expect(doc.paths['/health'].get.responses['200'].content['application/json'].example.status).toBe('healthy')

    const lines = doc.paths['/api/cron/logs/tail'].get.parameters.find((p: any) => p.name === 'lines')
    expect(lines).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100000 } })
    expect(doc.paths['/api/cron/logs/tail'].get.responses['200'].content['text/plain']).toBeDefined()
    expect(doc.components.schemas.Status.required).toEqual(expect.arrayContaining(['is_running', 'pid', 'message']))
    expect(doc.components.schemas.StartRequest.properties.interval_seconds.minimum).toBe(10)
  })

  it('answers 401 without the token exactly on the operations the document marks with the bearer scheme - a server with a token', async () => {
    const secured = createMemorySystem({ token: 'full-token-0123456789' })
    try {
      const doc = await fetchDocument()
      for (const { key, path, method, op } of operations(doc)) {
        const url = path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'name' ? 'default' : 'some-id'))
        const res = await secured.app.request(url, { method: method.toUpperCase() })
        expect(res.status === 401, `${key}: ${res.status}`).toBe(op.security !== undefined)
      }
      // An unknown path among the guarded ones gives nothing away either.
      expect((await secured.app.request('/api/no-such-route')).status).toBe(401)
    } finally {
      await secured.shutdown()
    }
  })

  it('keeps docs and health public: no security on them, a bearer scheme for the rest', async () => {
    const doc = await fetchDocument()
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' })
    for (const path of ['/health', '/openapi.json', '/docs', '/redoc']) expect(doc.paths[path].get.security).toBeUndefined()
  })

  it('names the mount point in servers when the app is mounted under a prefix', async () => {
    const { OpenAPIHono } = await import('@hono/zod-openapi')
    const parent = new OpenAPIHono().route('/cron', system.app)
    const mounted = (await (await parent.request('/cron/openapi.json')).json()) as any
    expect(mounted.servers).toEqual([{ url: '/cron', description: 'This server' }])
    const direct = await fetchDocument()
    expect(direct.servers).toEqual([{ url: '/', description: 'This server' }])
    expect(Object.keys(mounted.paths)).toEqual(Object.keys(direct.paths))
  })
})
