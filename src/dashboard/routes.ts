import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { etag } from 'hono/etag'
import { basePath } from 'hono/route'
import { secureHeaders } from 'hono/secure-headers'
import type { AppSettings } from '../app-deps.js'
import { ApiError } from '../errors.js'
import { defineRoute, routeGroup } from '../route-kit.js'
import { DASHBOARD_ASSETS, assetUrl, isDashboardAssetName } from './assets.js'
import { renderDashboard } from './page.js'

/** Everything the page may load or call: its own origin only, no inline script or style. */
const DASHBOARD_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
}

/**
 * The page's and its files' headers: the CSP above, no sniffing, no referrer, no framing. No HSTS:
 * whether TLS fronts the server is for whoever runs it to say.
 */
const dashboardHeaders = secureHeaders({ contentSecurityPolicy: DASHBOARD_CSP, xFrameOptions: 'DENY', strictTransportSecurity: false })

const page = defineRoute({
  method: 'get',
  path: '/',
  tags: ['dashboard'],
  summary: 'The web dashboard',
  description: 'Public: the page holds no pipeline data; its script calls the API (with the token, when one is needed).',
  responses: {
    200: { description: 'The dashboard page', content: { 'text/html': { schema: z.string() } } },
    301: { description: 'Under a mount prefix, `/prefix` redirects to `/prefix/` so relative URLs resolve' },
  },
})

const asset = defineRoute({
  method: 'get',
  path: '/assets/{name}',
  tags: ['dashboard'],
  summary: "A file of the dashboard (its script, stylesheet, icon)",
  request: {
    params: z.object({
      name: z.string().max(64).openapi({ param: { name: 'name', in: 'path' }, enum: Object.keys(DASHBOARD_ASSETS), example: 'dashboard.js' }),
    }),
    query: z.object({ v: z.string().max(64).optional().openapi({ description: 'Content hash; with the current one the answer is cached for a year' }) }),
  },
  responses: {
    200: { description: 'The file', content: { 'text/javascript': { schema: z.string() }, 'text/css': { schema: z.string() }, 'image/svg+xml': { schema: z.string() } } },
    304: { description: 'Not modified (the `If-None-Match` ETag is current)' },
  },
}, { errors: [404] })

/**
 * `GET /` (the dashboard) and `GET /assets/{name}`. All URLs in the page are relative, so it
 * works under any mount prefix: `/prefix` redirects to `/prefix/`, which serves the page.
 */
export function dashboardRoutes(settings: Pick<AppSettings, 'minIntervalSeconds'>) {
  let html: string | null = null
  const servePage = (c: Context) => {
    html ??= renderDashboard({
      minIntervalSeconds: settings.minIntervalSeconds ?? 10,
      assets: { js: assetUrl('dashboard.js'), css: assetUrl('dashboard.css'), icon: assetUrl('dashboard-icon.svg') },
    })
    return c.body(html, 200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' })
  }

  const group = routeGroup()
  // Under a prefix, `/prefix/` matches no route (`/` becomes `/prefix`): serve it from here.
  group.use('*', async (c, next) => {
    if ((c.req.method === 'GET' || c.req.method === 'HEAD') && c.req.path.endsWith('/')) {
      const base = basePath(c)
      if (base !== '/' && c.req.path === `${base}/`) {
        await dashboardHeaders(c, async () => void (c.res = servePage(c)))
        return c.res
      }
    }
    return next()
  })
  group.use('/', dashboardHeaders)
  // The handler names each file's ETag (its content hash); hono's etag answers 304 to it.
  group.use('/assets/*', dashboardHeaders, etag())
  return group
    .openapi(page, (c) => {
      const url = new URL(c.req.url)
      if (!url.pathname.endsWith('/')) {
        // Relative, so it stays right behind a proxy that adds its own prefix.
        const last = url.pathname.slice(url.pathname.lastIndexOf('/') + 1)
        return c.body(null, 301, { Location: `${last}/${url.search}`, 'Cache-Control': 'no-cache' })
      }
      return servePage(c)
    })
    .openapi(asset, (c) => {
      const { name } = c.req.valid('param')
      if (!isDashboardAssetName(name)) throw new ApiError(404, `Not found: no dashboard asset named "${name}"`)
      const file = DASHBOARD_ASSETS[name]
      return c.body(file.body, 200, {
        'Content-Type': file.type,
        ETag: `"${file.hash}"`,
        // Versioned URLs never change; anything else is revalidated.
        'Cache-Control': c.req.valid('query').v === file.hash ? 'public, max-age=31536000, immutable' : 'no-cache',
      })
    })
}
