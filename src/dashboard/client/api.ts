/**
 * API calls with the token: a 401 asks for the token once, then the call is retried. Every URL
 * is relative (`./api/...`), so the page works wherever the app is mounted.
 */
import { errorDetail } from '../../client/error-detail.js'
import { askForToken, authHeaders } from './auth.js'

/** A 2xx answer's JSON, or a failed one's `detail` (the API's error body, or `HTTP <status>`). */
export type ApiAnswer<T> = { ok: true; status: number; data: T } | { ok: false; status: number; detail: string }

export function apiUrl(path: string): string {
  return new URL(path, document.baseURI).toString()
}

// Server clock minus ours, from the Date header, so countdowns are right on a skewed client.
let skewMs = 0

/** Now, by the server's clock. */
export function serverNow(): number {
  return Date.now() + skewMs
}

function noteServerDate(res: Response): void {
  const date = res.headers.get('Date')
  if (!date) return
  // The header has whole seconds: take the middle of the second.
  const skew = Date.parse(date) + 500 - Date.now()
  skewMs = Math.abs(skew) > 2000 ? skew : 0
}

/** The detail of a failed response (its body is read). */
export async function readDetail(res: Response): Promise<string> {
  return errorDetail(await res.text().catch(() => ''), res.status, res.statusText).detail
}

/** One API call. Throws AuthCancelled when the token prompt is closed, and on network errors. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
  for (;;) {
    const headers = authHeaders({ Accept: 'application/json' })
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await fetch(apiUrl(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    })
    noteServerDate(res)
    if (res.status === 401) {
      await askForToken(await readDetail(res))
      continue
    }
    if (!res.ok) return { ok: false, status: res.status, detail: await readDetail(res) }
    const text = await res.text()
    return { ok: true, status: res.status, data: (text ? JSON.parse(text) : null) as T }
  }
}
