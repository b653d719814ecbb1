/**
 * The typed client for the pipeline-cron HTTP API (`pipeline-cron/client`). Runtime-agnostic:
 * it needs only `fetch`. Typed from the app itself through Hono RPC (`hc<AppType>`).
 *
 * ```ts
 * const cron = new PipelineCronClient('http://127.0.0.1:8000', { token: process.env.CRON_API_TOKEN })
 * await cron.start({ interval_seconds: 60 })
 * for await (const event of cron.followLogs({ lines: 20 })) if (event.type === 'line') console.log(event.line)
 * ```
 */
import { hc } from 'hono/client'
import type { AppType } from './app.js'
import { errorDetail } from './client/error-detail.js'
import { parseSse } from './client/sse.js'
import type { DaemonStatus, RunRecord } from './schemas.js'

export type { DaemonStatus, RunRecord, RunStatus, StepRecord } from './schemas.js'
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

/** A non-2xx answer (`status` and the API's `detail`), or a server that cannot be reached (`status` 0). */
export class PipelineCronError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly body?: unknown,
  ) {
    super(detail)
    this.name = 'PipelineCronError'
  }
}

/** The seed's Python client methods, plus runs, runNow and followLogs. Non-2xx answers throw PipelineCronError. */
export class PipelineCronClient {
  readonly baseUrl: string
  private readonly rpc
  private readonly headers: Record<string, string>
  private readonly fetchFn: typeof fetch

  constructor(baseUrl: string = DEFAULT_URL, options: ClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '')
    this.headers = { ...options.headers, ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}) }
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init))
    this.rpc = hc<AppType>(this.baseUrl, { headers: this.headers, fetch: this.fetchFn })
  }

  /** Starts the daemon: `start(60)`, `start({ interval_seconds: 60 })` or `start({ cron, timezone })`. */
  start(schedule: number | StartOptions): Promise<SuccessResponse> {
    const json = typeof schedule === 'number' ? { interval_seconds: schedule } : schedule
    return this.ok(this.rpc.api.cron.start.$post({ json }))
  }

  /** Stops the daemon; `{ drain: true }` lets the current run finish first. */
  stop(options: StopOptions = {}): Promise<StopResponse> {
    return this.ok(this.rpc.api.cron.stop.$post({ json: options.drain ? { mode: 'drain' } : {} }))
  }

  status(): Promise<DaemonStatus> {
    return this.ok(this.rpc.api.cron.status.$get())
  }

  /** All lines of the current log file, or the last `lines`. */
  getLogs(lines?: number): Promise<{ logs: string; line_count: number }> {
    return this.ok(this.rpc.api.cron.logs.$get({ query: lines === undefined ? {} : { lines: String(lines) } }))
  }

  /** The last `lines` lines (default 50) as plain text. */
  async tailLogs(lines = 50): Promise<string> {
    const res = await this.send(this.rpc.api.cron.logs.tail.$get({ query: { lines: String(lines) } }))
    return res.text()
  }

  clearLogs(): Promise<SuccessResponse> {
    return this.ok(this.rpc.api.cron.logs.$delete())
  }

  health(): Promise<{ status: 'healthy'; timestamp: string }> {
    return this.ok(this.rpc.health.$get())
  }

  /** Past runs, newest first (the server's default limit is 50). */
  runs(limit?: number): Promise<{ runs: RunRecord[] }> {
    return this.ok(this.rpc.api.cron.runs.$get({ query: limit === undefined ? {} : { limit: String(limit) } }))
  }

  /** One run by id. */
  getRun(id: string): Promise<RunRecord> {
    return this.ok(this.rpc.api.cron.runs[':id'].$get({ param: { id } }))
  }

  /** Runs the pipeline now in the running daemon (409 when it is not running or busy). */
  runNow(): Promise<SuccessResponse & { run_id: string | null }> {
    return this.ok(this.rpc.api.cron.run.$post())
  }

  /**
   * The live log over Server-Sent Events: the last `lines` lines, then each new line as it is
   * written, `{ type: 'clear' }` when the log is cleared, and `{ type: 'missed', lines }` when
   * the loop fell behind and the server skipped lines. Ends when the server ends the stream,
   * when `signal` aborts, or when the loop breaks.
   */
  async *followLogs(options: FollowOptions = {}): AsyncGenerator<LogEvent> {
    const url = new URL(`${this.baseUrl}/api/cron/logs/stream`)
    if (options.lines !== undefined) url.searchParams.set('lines', String(options.lines))
    const res = await this.send(
      this.fetchFn(url, { headers: { ...this.headers, Accept: 'text/event-stream' }, signal: options.signal }),
    )
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

  /** Awaits a response and returns its JSON body, typed as the route's 2xx answer. */
  private async ok<R extends AnyResponse & { json(): Promise<unknown> }>(pending: Promise<R>): Promise<SuccessBody<R>> {
    const res = await this.send(pending)
    return (await res.json()) as SuccessBody<R>
  }

  /** Awaits a response; a failed request or a non-2xx answer throws PipelineCronError. */
  private async send<R extends AnyResponse>(pending: Promise<R>): Promise<R> {
    let res: R
    try {
      res = await pending
    } catch (err) {
      if ((err as Error)?.name === 'AbortError') throw err
      throw new PipelineCronError(0, `cannot reach ${this.baseUrl} (${describeFetchError(err)})`)
    }
    if (res.ok) return res
    const { detail, body } = errorDetail(await res.text().catch(() => ''), res.status, res.statusText)
    throw new PipelineCronError(res.status, detail, body)
  }
}

interface AnyResponse {
  ok: boolean
  status: number
  statusText: string
  text(): Promise<string>
}

/** The JSON body of a typed client response's 2xx variant. */
type SuccessBody<R> = R extends { ok: true; json(): Promise<infer T> } ? T : never

/** Node's fetch hides the reason in `cause` ("fetch failed" / ECONNREFUSED). */
function describeFetchError(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } }
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err)
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
