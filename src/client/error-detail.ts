/**
 * The `detail` of a non-2xx answer: the API's error body carries one; anything else (a proxy's
 * HTML page, an empty body) gets `HTTP <status> <text>`. Shared by the typed client and the dashboard.
 */
export function errorDetail(text: string, status: number, statusText = ''): { detail: string; body: unknown } {
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: a proxy's page, say
  }
  const detail = (body as { detail?: unknown } | null)?.detail
  return { detail: typeof detail === 'string' ? detail : `HTTP ${status}${statusText ? ` ${statusText}` : ''}`, body }
}
