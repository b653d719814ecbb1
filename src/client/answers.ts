/** How the client reaches the server and reads its answers: one path for every method's errors. */
import { errorDetail } from './error-detail.js'

/** Where the server is and what every request carries. */
export interface Connection {
  /** The server's base URL, without a trailing slash (it may include a mount prefix). */
  baseUrl: string
  headers: Record<string, string>
  fetch: typeof fetch
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

export interface AnyResponse {
  ok: boolean
  status: number
  statusText: string
  text(): Promise<string>
}

/** The JSON body of a typed client response's 2xx variant. */
export type SuccessBody<R> = R extends { ok: true; json(): Promise<infer T> } ? T : never

/** Awaits a response and returns its JSON body, typed as the route's 2xx answer. */
export async function okBody<R extends AnyResponse & { json(): Promise<unknown> }>(baseUrl: string, pending: Promise<R>): Promise<SuccessBody<R>> {
  const res = await answer(baseUrl, pending)
  return (await res.json()) as SuccessBody<R>
}

/** Awaits a response; a failed request or a non-2xx answer throws PipelineCronError. */
export async function answer<R extends AnyResponse>(baseUrl: string, pending: Promise<R>): Promise<R> {
  let res: R
  try {
    res = await pending
  } catch (err) {
    if ((err as Error)?.name === 'AbortError') throw err
    throw new PipelineCronError(0, `cannot reach ${baseUrl} (${describeFetchError(err)})`)
  }
  if (res.ok) return res
  const { detail, body } = errorDetail(await res.text().catch(() => ''), res.status, res.statusText)
  throw new PipelineCronError(res.status, detail, body)
}

/** Node's fetch hides the reason in `cause` ("fetch failed" / ECONNREFUSED). */
export function describeFetchError(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } }
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err)
}
