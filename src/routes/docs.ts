import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { etag } from 'hono/etag'
import type { AppSettings } from '../app-deps.js'
import { DOCS_ASSET_TYPES, isDocsAssetName, rewriteDocsAsset } from '../docs/assets.js'
import type { DocsAssetName } from '../docs/assets.js'
import { API_TITLE, buildOpenApiDocument } from '../docs/openapi.js'
import type { OpenApiSource } from '../docs/openapi.js'
import { redocPage, swaggerPage } from '../docs/pages.js'
import { ApiError } from '../errors.js'
import { defineRoute, routeGroup } from '../route-kit.js'

const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } })

const openapi = defineRoute({
  method: 'get',
  path: '/openapi.json',
  tags: ['docs'],
  summary: 'This OpenAPI 3.1 document',
  description: '`servers` holds the path the app is mounted under, so the document is right behind a prefix too.',
  responses: {
    200: { description: 'The document', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } },
  },
})

/** A page that renders the document; its assets come from this server. */
const pageRoute = <P extends string>(path: P, summary: string) =>
  defineRoute({ method: 'get', path, tags: ['docs'], summary, responses: { 200: html(`The ${summary} page; its assets come from this server`) } })

const swagger = pageRoute('/docs', 'Swagger UI')
const redoc = pageRoute('/redoc', 'ReDoc')

const asset = defineRoute({
  method: 'get',
  path: '/docs/assets/{name}',
  tags: ['docs'],
  summary: 'A static file of the docs pages',
  request: {
    params: z.object({
      name: z.string().max(64).openapi({ param: { name: 'name', in: 'path' }, enum: Object.keys(DOCS_ASSET_TYPES), example: 'swagger-ui.css' }),
    }),
  },
  responses: {
    200: { description: 'The file', content: Object.fromEntries(uniqueTypes().map((t) => [t, { schema: z.string() }])) },
  },
}, { errors: [404] })

const favicon = defineRoute({
  method: 'get',
  path: '/favicon.ico',
  tags: ['docs'],
  summary: 'The favicon',
  responses: { 200: { description: 'A PNG icon', content: { 'image/png': { schema: z.string() } } } },
}, { errors: [404] })

/**
 * `/openapi.json`, `/docs` (Swagger UI), `/redoc`, their assets and a favicon. All public (they
 * carry no pipeline data) and served by the app itself: the pages make no request to another host.
 * `source` is the whole app, so the document covers every route defined with `defineRoute`.
 */
export function docsRoutes(settings: AppSettings, source: OpenApiSource) {
  // Built on first use (by then every route of the app is registered), once per mount prefix.
  const documents = new Map<string, ReturnType<typeof buildOpenApiDocument>>()
  const assets = new Map<DocsAssetName, Promise<{ body: Uint8Array<ArrayBuffer> | string; type: string } | null>>()

  const loadAsset = (name: DocsAssetName) => {
    let hit = assets.get(name)
    if (!hit) {
      hit = readAsset(settings, name)
      hit.catch(() => assets.delete(name))
      assets.set(name, hit)
    }
    return hit
  }
  const serveAsset = async (name: DocsAssetName, path: string) => {
    const found = await loadAsset(name)
    if (!found) throw new ApiError(404, `Not found: ${path} (the docs assets are not available on this server)`)
    return found
  }
  const page = (c: Context, body: string) => c.body(body, 200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' })
  const file = (c: Context, found: { body: Uint8Array<ArrayBuffer> | string; type: string }) =>
    c.body(found.body, 200, { 'Content-Type': found.type, 'Cache-Control': 'public, max-age=86400' })

  const group = routeGroup()
  // The files change only with the package: hono's etag tags them by content and answers 304.
  group.use('/docs/assets/*', etag())
  group.use('/favicon.ico', etag())
  return group
    .openapi(openapi, (c) => {
      const prefix = c.req.path.replace(/\/+$/, '').slice(0, -'/openapi.json'.length)
      let document = documents.get(prefix)
      if (!document) documents.set(prefix, (document = buildOpenApiDocument(source, prefix)))
      return c.json(document, 200)
    })
    .openapi(swagger, (c) => page(c, swaggerPage(API_TITLE)))
    .openapi(redoc, (c) => page(c, redocPage(API_TITLE)))
    .openapi(asset, async (c) => {
      const { name } = c.req.valid('param')
      if (!isDocsAssetName(name)) throw new ApiError(404, `Not found: no docs asset named "${name}"`)
      return file(c, await serveAsset(name, c.req.path))
    })
    .openapi(favicon, async (c) => {
      return file(c, await serveAsset('favicon-32x32.png', c.req.path))
    })
}

async function readAsset(settings: AppSettings, name: DocsAssetName) {
  const body = await settings.docsAssets?.get(name)
  if (body == null) return null
  const type = DOCS_ASSET_TYPES[name]
  // A copy the answer may own (the port may hand out a view of a larger buffer).
  if (type.startsWith('image/')) return { body: typeof body === 'string' ? body : new Uint8Array(body), type }
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body)
  return { body: rewriteDocsAsset(name, text), type }
}

function uniqueTypes(): string[] {
  return [...new Set(Object.values(DOCS_ASSET_TYPES).map((t) => t.split(';')[0]!))]
}
