/**
 * The methods of one pipeline, written once for both places its routes are served:
 * `/api/cron/…` (the default pipeline) and `/api/pipelines/{name}/…`. Typed through Hono RPC from
 * the route group the app mounts under both prefixes.
 */
import { hc } from 'hono/client'
import type { PipelineRoutesType } from '../app.js'
import type { DaemonStatus, RunRecord } from '../schemas.js'
import { answer, describeFetchError, okBody, PipelineCronError, type AnyResponse, type Connection, type SuccessBody } from './answers.js'
import { parseSse } from './sse.js'

/** What `start` takes: an interval or a cron expression, and whether to run at once. */
export type StartOptions = ({ interval_seconds: number } | { cron: string; timezone?: string }) & { run_immediately?: boolean }

export interface StopOptions {
  /** Let the current run finish before the daemon exits. */
  drain?: boolean
}

/**
 * One event of the live log: a new line, the log was cleared, or `lines` lines were skipped
 * because this client fell more than 1 MiB behind (the stream goes on from the newest line).
 */
export type LogEvent = { type: 'line'; line: string } | { type: 'clear' } | { type: 'missed'; lines: number }

export interface FollowOptions {
  /** How many existing lines to send first (the server's default is 50). */
  lines?: number
  /** Aborting ends the stream (breaking out of the loop does too). */
  signal?: AbortSignal
}

export interface SuccessResponse {
  success: true
  message: string
  timestamp: string
}

export interface StopResponse extends SuccessResponse {
  /** pids of the daemon tree found alive after the stop and then killed (expected: none). */
  survivors: number[]
  forced: boolean
}

/** start, stop, status, logs, runs, run-now, pause and resume of one pipeline. Non-2xx answers throw PipelineCronError. */
export abstract class PipelineMethods {
  /** The server's base URL, without a trailing slash. */
  readonly baseUrl: string
  protected readonly connection: Connection
  /** The pipeline's routes: `hc` under `baseUrl` + the prefix. */
  protected readonly routes

  protected constructor(connection: Connection, prefix: string) {
    this.connection = connection
    this.baseUrl = connection.baseUrl
    this.routes = hc<PipelineRoutesType>(connection.baseUrl + prefix, { headers: connection.headers, fetch: connection.fetch })
  }

  /** Starts the pipeline: `start(60)`, `start({ interval_seconds: 60 })` or `start({ cron, timezone })`. */
  start(schedule: number | StartOptions): Promise<SuccessResponse> {
    const json = typeof schedule === 'number' ? { interval_seconds: schedule } : schedule
    return this.ok(this.routes.start.$post({ json }))
  }

  /** Stops the pipeline; `{ drain: true }` lets the current run finish first. */
  stop(options: StopOptions = {}): Promise<StopResponse> {
    return this.ok(this.routes.stop.$post({ json: options.drain ? { mode: 'drain' } : {} }))
  }

  status(): Promise<DaemonStatus> {
    return this.ok(this.routes.status.$get())
  }

  /** Keeps the schedule but skips scheduled runs (recorded `skipped`, reason `paused`); 409 when not running or already paused. */
  pause(): Promise<SuccessResponse> {
    return this.ok(this.routes.pause.$post())
  }

  /** Ends a pause; 409 when not running or not paused. */
  resume(): Promise<SuccessResponse> {
    return this.ok(this.routes.resume.$post())
  }

  /** All lines of the current log file, or the last `lines`. */
  getLogs(lines?: number): Promise<{ logs: string; line_count: number }> {
    return this.ok(this.routes.logs.$get({ query: lines === undefined ? {} : { lines: String(lines) } }))
  }

  /** The last `lines` lines (default 50) as plain text. */
  async tailLogs(lines = 50): Promise<string> {
    const res = await answer(this.baseUrl, this.routes.logs.tail.$get({ query: { lines: String(lines) } }))
    return res.text()
  }

  clearLogs(): Promise<SuccessResponse> {
    return this.ok(this.routes.logs.$delete())
  }

  /** Past runs, newest first (the server's default limit is 50). */
  runs(limit?: number): Promise<{ runs: RunRecord[] }> {
    return this.ok(this.routes.runs.$get({ query: limit === undefined ? {} : { limit: String(limit) } }))
  }

  /** One run by id. */
  getRun(id: string): Promise<RunRecord> {
    // hc puts path parameters in as they are: a "/" in an id must not reach another route.
    return this.ok(this.routes.runs[':id'].$get({ param: { id: encodeURIComponent(id) } }))
  }

  /** Runs the pipeline now in the running daemon (409 when it is not running or busy, 503 when the daemon does not answer). */
  runNow(): Promise<SuccessResponse & { run_id: string | null }> {
    return this.ok(this.routes.run.$post())
  }

  /**
   * The live log over Server-Sent Events: the last `lines` lines, then each new line as it is
   * written, `{ type: 'clear' }` when the log is cleared, and `{ type: 'missed', lines }` when
   * the loop fell behind and the server skipped lines. Ends when the server ends the stream,
   * when `signal` aborts, or when the loop breaks.
   */
  async *followLogs(options: FollowOptions = {}): AsyncGenerator<LogEvent> {
    const url = this.routes.logs.stream.$url({ query: options.lines === undefined ? {} : { lines: String(options.lines) } })
    const { headers, fetch } = this.connection
    const res = await answer(this.baseUrl, fetch(url, { headers: { ...headers, Accept: 'text/event-stream' }, signal: options.signal }))
    if (!res.body) return
    try {
      for await (const message of parseSse(res.body)) {
        if (message.event === 'clear') yield { type: 'clear' }
        else if (message.event === 'missed') yield { type: 'missed', lines: missedLines(message.data) }
        else if (message.event === 'message') yield { type: 'line', line: message.data }
      }
    } catch (err) {
      if (options.signal?.aborted) return
      throw new PipelineCronError(0, `the log stream from ${this.baseUrl} broke off (${describeFetchError(err)})`)
    }
  }

  /** The 2xx JSON body of a typed call. */
  protected ok<R extends AnyResponse & { json(): Promise<unknown> }>(pending: Promise<R>): Promise<SuccessBody<R>> {
    return okBody(this.baseUrl, pending)
  }
}

/** The count in a `missed` event's data, `{"lines": N}`; 0 when it cannot be read. */
function missedLines(data: string): number {
  try {
    const n = (JSON.parse(data) as { lines?: unknown }).lines
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 0
  } catch {
    return 0
  }
}
