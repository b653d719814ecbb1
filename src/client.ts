/**
 * The typed client for the pipeline-cron HTTP API (`pipeline-cron/client`). Runtime-agnostic:
 * it needs only `fetch`. Typed from the app itself through Hono RPC (`hc<AppType>`).
 *
 * ```ts
 * const cron = new PipelineCronClient('http://127.0.0.1:8000', { token: process.env.CRON_API_TOKEN })
 * await cron.start({ interval_seconds: 60 })
 * for await (const event of cron.followLogs({ lines: 20 })) if (event.type === 'line') console.log(event.line)
 * await cron.pipeline('orders').pause()
 * ```
 */
import { hc } from 'hono/client'
import type { AppType } from './app.js'
import { okBody, type Connection } from './client/answers.js'
import { PipelineMethods } from './client/pipeline-methods.js'
import type { PipelineSummary } from './schemas.js'

export type { DaemonStatus, PipelineSummary, RunRecord, RunStatus, StepRecord } from './schemas.js'
export { PipelineCronError } from './client/answers.js'
export { PipelineMethods } from './client/pipeline-methods.js'
export type { FollowOptions, LogEvent, StartOptions, StopOptions, StopResponse, SuccessResponse } from './client/pipeline-methods.js'
export { parseSse } from './client/sse.js'
export type { SseMessage } from './client/sse.js'

export const DEFAULT_URL = 'http://127.0.0.1:8000'

export interface ClientOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | null
  /** Extra headers for every request. */
  headers?: Record<string, string>
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof fetch
}

/** What a pipeline's dead-man check answers while it is healthy (otherwise it throws, status 503, with the reason). */
export interface DeadManCheck {
  status: 'ok'
  reason: string
  last_success_at: string | null
  max_age_seconds: number | null
  expected_since: string | null
  timestamp: string
}

/**
 * The original Python client's methods, plus runs, runNow, followLogs, pause and resume, on the
 * default pipeline (`/api/cron/…`); `pipeline(name)` has the same methods for any pipeline.
 * Non-2xx answers throw PipelineCronError.
 */
export class PipelineCronClient extends PipelineMethods {
  private readonly rpc

  constructor(baseUrl: string = DEFAULT_URL, options: ClientOptions = {}) {
    const connection: Connection = {
      baseUrl: baseUrl.replace(/\/+$/, ''),
      headers: { ...options.headers, ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}) },
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    }
    super(connection, '/api/cron')
    this.rpc = hc<AppType>(connection.baseUrl, { headers: connection.headers, fetch: connection.fetch })
  }

  /** The server's liveness check (`GET /health`); a pipeline's own dead-man check is `pipeline(name).health()`. */
  health(): Promise<{ status: 'healthy'; timestamp: string }> {
    return okBody(this.baseUrl, this.rpc.health.$get())
  }

  /** Every pipeline with its state, sorted by name. */
  pipelines(): Promise<{ pipelines: PipelineSummary[] }> {
    return okBody(this.baseUrl, this.rpc.api.pipelines.$get())
  }

  /** The methods of one pipeline, against `/api/pipelines/{name}/…`. */
  pipeline(name: string): PipelineClient {
    return new PipelineClient(this.connection, name)
  }
}

/** Every method of the root client for one named pipeline, and its dead-man check as `health()`. */
export class PipelineClient extends PipelineMethods {
  constructor(
    connection: Connection,
    readonly name: string,
  ) {
    // URL parsing would resolve a "." or ".." segment (also written %2E) away, reaching another route.
    if (name === '' || name === '.' || name === '..') throw new TypeError(`"${name}" is not a pipeline name`)
    super(connection, `/api/pipelines/${encodeURIComponent(name)}`)
  }

  /**
   * The pipeline's dead-man check: resolves while it runs and its last success is recent (or
   * within `maxAgeSeconds`); throws PipelineCronError 503 with the reason otherwise.
   */
  health(maxAgeSeconds?: number): Promise<DeadManCheck> {
    return this.ok(this.routes.health.$get({ query: maxAgeSeconds === undefined ? {} : { max_age_seconds: String(maxAgeSeconds) } }))
  }
}
