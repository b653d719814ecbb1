import type { Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import { methodNotAllowed } from 'hono/method-not-allowed'
import { createSlots } from './answer-slots.js'
import { refuseCrossSite, requireToken } from './auth.js'
import { ApiError, ConfigError, errorBody } from './errors.js'
import { MAX_LARGE_ANSWERS } from './large-answer.js'
import type { CronController, LogStore, RunHistory } from './ports.js'
import { routeGroup } from './route-kit.js'
import { dashboardRoutes } from './dashboard/routes.js'
import { cronRoutes } from './routes/cron.js'
import type { DocsAssets } from './docs/assets.js'
import { docsRoutes } from './routes/docs.js'
import { healthRoutes } from './routes/health.js'
import { logRoutes } from './routes/logs.js'
import { monitoringRoutes } from './routes/monitoring.js'
import { runRoutes } from './routes/runs.js'

export interface AppOptions {
  controller: CronController
  logs: LogStore
  runs: RunHistory
  /** Smallest accepted `interval_seconds` (SPEC: 10; tests lower it). */
  minIntervalSeconds?: number
  /** With a token, `/api/*` and `/metrics` need `Authorization: Bearer <token>`. */
  token?: string | null
  /** A token that may use GET routes only. */
  readToken?: string | null
  /** Where a request came from, for the audit lines (the runtime adapter knows). */
  clientAddress?: (c: Context) => string | undefined
  /** Heartbeat period of the log stream (SPEC: 15 s; tests shorten it). */
  heartbeatMs?: number
  /** Large log answers streamed at once; more are answered 503 (default MAX_LARGE_ANSWERS, 32). */
  maxLargeAnswers?: number
  /** Live log streams at once; more are answered 503 (default MAX_LOG_STREAMS, 128). */
  maxLogStreams?: number
  /** The Swagger UI / ReDoc files for `/docs` and `/redoc` (the runtime adapter reads them). */
  docsAssets?: DocsAssets
  /** Where unexpected errors go; the client only ever sees a generic 500. */
  onUnexpectedError?: (err: unknown) => void
}

export const MAX_BODY_BYTES = 64 * 1024

/** Builds the one Hono app that serves every route. Mount it anywhere: `parent.route('/cron', createApp(...))`. */
export function createApp(options: AppOptions) {
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
  app.use('/api/*', requireToken(options))
  app.use('/metrics', requireToken(options))
  app.use('/api/*', refuseCrossSite(options))
  // A POST body is JSON or nothing: a route without a body (run-now) would otherwise accept a
  // form or text silently. Checked after auth, so an anonymous caller learns nothing more.
  app.use(async (c, next) => {
    if (c.req.method === 'POST' && hasBody(c.req.raw.headers) && !isJsonType(c.req.header('Content-Type'))) {
      throw new ApiError(415, 'Unsupported Media Type: send the body as application/json')
    }
    await next()
  })

  // Shared by every route that streams a large answer: together they hold at most this many.
  const answers = createSlots(options.maxLargeAnswers ?? MAX_LARGE_ANSWERS)
  return app
    .route('/', healthRoutes())
    .route('/', cronRoutes(options))
    .route('/', runRoutes(options, answers))
    .route('/', logRoutes(options, answers))
    .route('/', monitoringRoutes(options))
    .route('/', docsRoutes(options, app))
    .route('/', dashboardRoutes(options))
}

export type AppType = ReturnType<typeof createApp>

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
