import { expect } from 'vitest'

/** Anything with Hono's `request` (an app made by createApp). */
export interface Requestable {
  request(path: string, init?: RequestInit): Response | Promise<Response>
}

export interface Answer {
  status: number
  headers: Headers
  text: string
  /** The parsed body, or undefined when it is not JSON. */
  body: any
}

/** One request through `app.request()`; `json` sets the body and its content type. */
export async function req(
  app: Requestable,
  method: string,
  path: string,
  o: { json?: unknown; body?: RequestInit['body']; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...o.headers }
  let body = o.body
  if (o.json !== undefined) {
    headers['Content-Type'] ??= 'application/json'
    body = JSON.stringify(o.json)
  }
  const res = await app.request(path, { method, headers, body })
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  return { status: res.status, headers: res.headers, text, body: parsed }
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** The one error body shape: exactly {error: true, detail: string, timestamp: ISO}. */
export function expectErrorBody(a: Answer, status: number, detail?: string | RegExp) {
  expect({ status: a.status, body: a.body }).toMatchObject({ status })
  expect(Object.keys(a.body ?? {}).sort()).toEqual(['detail', 'error', 'timestamp'])
  expect(a.body.error).toBe(true)
  expect(typeof a.body.detail).toBe('string')
  expect(a.body.timestamp).toMatch(ISO)
  expect(a.headers.get('content-type')).toMatch(/^application\/json/)
  if (typeof detail === 'string') expect(a.body.detail).toBe(detail)
  else if (detail) expect(a.body.detail).toMatch(detail)
}

export function expectIsoTimestamp(value: unknown) {
  expect(value).toMatch(ISO)
}
