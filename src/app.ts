import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import { methodNotAllowed } from 'hono/method-not-allowed'
import { createSlots, type Slots } from './answer-slots.js'
import { refuseCrossSite, requireToken } from './auth.js'
import { ApiError, ConfigError, errorBody } from './errors.js'
import type { AppDeps, AppOptions } from './app-deps.js'
import { singlePipeline } from './control/catalog.js'
import { MAX_LARGE_ANSWERS } from './large-answer.js'
import { BEARER_AUTH, BEARER_AUTH_SCHEME, guardedPaths, routeGroup } from './route-kit.js'
import { dashboardRoutes } from './dashboard/routes.js'
import { cronRoutes } from './routes/cron.js'
import { docsRoutes } from './routes/docs.js'
import { healthRoutes } from './routes/health.js'
import { logRoutes, MAX_LOG_STREAMS } from './routes/logs.js'
import { deadManRoutes, metricsRoutes } from './routes/monitoring.js'
import { pipelineListRoutes } from './routes/pipelines.js'
import { runRoutes } from './routes/runs.js'
import { defaultScope, namedScope, type PipelineScope } from './routes/scope.js'

export type { AppDeps, AppOptions, AppSettings, SinglePipelineDeps } from './app-deps.js'

export const MAX_BODY_BYTES = 64 * 1024

/**
 * Builds the one Hono app that serves every route. Mount it anywhere: `parent.route('/cron', createApp(...))`.
 * Give it `{ pipelines }` (many pipelines) or `{ controller, logs, runs }` (one, served as `default`).
 */
export function createApp(appOptions: AppOptions) {
  const options: AppDeps = 'pipelines' in appOptions ? appOptions : { ...appOptions, pipelines: singlePipeline(appOptions) }
  const app = routeGroup()
  const report = options.onUnexpectedError ?? ((err) => console.error('pipeline-cron: unexpected error:', err))

  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(errorBody(err.detail), err.status, err.headers)
    if (err instanceof ConfigError) return c.json(errorBody(err.message), 500)
    if (err instanceof HTTPException) return c.json(errorBody(httpExceptionDetail(err)), err.status)
    // A client that hung up mid-body is not our error: nobody reads this answer, nothing to report.
    if (c.req.raw.signal?.aborted) return c.json(errorBody('Request aborted by the client'), 400)
    report(err)
    return c.json(errorBody('Internal server error'), 500)
  })
  app.notFound((c) => c.json(errorBody(`Not found: ${c.req.method} ${c.req.path}`), 404))
  // Mounted under a prefix, an unmatched path falls to the parent's notFound (plain text):
  // give it our error body too, leaving our own JSON 404s ("Run not found") as they are.
  app.use(async (c, next) => {
    await next()
    if (c.res.status === 404 && !c.res.headers.get('content-type')?.includes('application/json')) {
      c.res = c.json(errorBody(`Not found: ${c.req.method} ${c.req.path}`), 404)
    }
  })
  // Hono hands only Error instances to onError; a port rejecting with anything else would escape it.
  app.use(async (_c, next) => {
    try {
      await next()
    } catch (err) {
      throw err instanceof Error ? err : new Error(`non-Error thrown: ${String(err)}`, { cause: err })
    }
  })
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        c.json(errorBody(`Method ${c.req.method} not allowed on ${c.req.path}; allowed: ${methods.join(', ')}`), 405, {
          Allow: methods.join(', '),
        }),
    }),
  )
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => c.json(errorBody(`Request body too large: the limit is ${MAX_BODY_BYTES} bytes`), 413),
  })
  // No GET or HEAD route reads a body, and asking for one makes @hono/node-server build a full
  // Request on every call: 3x the CPU of GET /health (BENCHMARKS.md).
  app.use((c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)))
  // Shared by every route that streams a large answer, and by every live stream, whichever the pipeline.
  const slots = { answers: createSlots(options.maxLargeAnswers ?? MAX_LARGE_ANSWERS), streams: createSlots(options.maxLogStreams ?? MAX_LOG_STREAMS) }
  const byDefault = defaultScope(options.pipelines)
  const byName = namedScope(options.pipelines)
  const routes = routeGroup()
    .route('/', healthRoutes())
    .route('/', pipelineListRoutes(options.pipelines))
    .route('/', pipelineRoutes(byDefault, options, slots))
    .route('/', pipelineRoutes(byName, options, slots))
    .route('/', metricsRoutes(options))
    .route('/', docsRoutes(options, app))
    .route('/', dashboardRoutes(options))
  // The token guards what the routes say they need (defineRoute's `guarded`), as their document says.
  app.openAPIRegistry.registerComponent('securitySchemes', BEARER_AUTH, BEARER_AUTH_SCHEME)
  for (const path of guardedPaths(routes)) app.use(path, requireToken(options), refuseCrossSite(options))
  // A POST body is JSON or nothing: a route without a body (run-now) would otherwise accept a
  // form or text silently. Checked after auth, so an anonymous caller learns nothing more.
  app.use(async (c, next) => {
    if (c.req.method === 'POST' && hasBody(c.req.raw.headers) && !isJsonType(c.req.header('Content-Type'))) {
      throw new ApiError(415, 'Unsupported Media Type: send the body as application/json')
    }
    await next()
  })


  return app.route('/', routes)
}

/** Every route of one pipeline, under a scope's prefix. */
function pipelineRoutes<P extends string>(scope: PipelineScope<P>, options: AppDeps, slots: { answers: Slots; streams: Slots }) {
  return routeGroup()
    .route('/', cronRoutes(scope, options))
    .route('/', runRoutes(scope, slots.answers))
    .route('/', logRoutes(scope, options, slots))
    .route('/', deadManRoutes(scope))
}

export type AppType = ReturnType<typeof createApp>

/** The routes of one pipeline relative to its prefix (`/api/cron` or `/api/pipelines/{name}`): what the client's pipeline methods are typed from. */
export type PipelineRoutesType = ReturnType<typeof pipelineRoutes<''>>

function hasBody(headers: Headers): boolean {
  const length = headers.get('Content-Length')
  return (length !== null && length.trim() !== '0') || headers.has('Transfer-Encoding')
}

function isJsonType(contentType: string | undefined): boolean {
  return /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(contentType ?? '')
}

function httpExceptionDetail(err: HTTPException): string {
  if (err.status === 400 && /JSON/i.test(err.message)) return 'body: invalid JSON'
  if (err.status === 415) return 'Unsupported Media Type: send the body as application/json'
  return err.message || 'Request failed'
}
