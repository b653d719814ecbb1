/**
 * What `createApp` is given. Kept apart from app.ts so that route files import their
 * dependencies' types from here, and nothing imports the module that imports every route.
 */
import type { Context } from 'hono'
import type { PipelineCatalog } from './control/catalog.js'
import type { DocsAssets } from './docs/assets.js'
import type { DaemonMetrics } from './metrics.js'
import type { CronController, LogStore, RunHistory } from './ports.js'

/** Settings every route group may read. */
export interface AppSettings {
  /** Smallest accepted `interval_seconds` (10 by default; tests lower it). */
  minIntervalSeconds?: number
  /** With a token, `/api/*` and `/metrics` need `Authorization: Bearer <token>`. */
  token?: string | null
  /** A token that may use GET routes only. */
  readToken?: string | null
  /** Where a request came from, for the audit lines (the runtime adapter knows). */
  clientAddress?: (c: Context) => string | undefined
  /** Heartbeat period of the log stream (15 s by default; tests shorten it). */
  heartbeatMs?: number
  /** Large log answers streamed at once, all pipelines together; more are answered 503 (default 32). */
  maxLargeAnswers?: number
  /** Live log streams at once, all pipelines together; more are answered 503 (default 128). */
  maxLogStreams?: number
  /** The Swagger UI / ReDoc files for `/docs` and `/redoc` (the runtime adapter reads them). */
  docsAssets?: DocsAssets
  /** Where unexpected errors go; the client only ever sees a generic 500. */
  onUnexpectedError?: (err: unknown) => void
}

/** Many pipelines: the catalog says which exist and hands out each one's ports. */
export interface AppDeps extends AppSettings {
  pipelines: PipelineCatalog
  /** How the daemon fares (restarts, crash loop), for `/metrics`; local mode only. */
  daemonMetrics?: () => DaemonMetrics
}

/** One pipeline's ports directly: it is served as the pipeline `default`. */
export interface SinglePipelineDeps extends AppSettings {
  controller: CronController
  logs: LogStore
  runs: RunHistory
}

export type AppOptions = AppDeps | SinglePipelineDeps
