import { OpenAPIHono } from '@hono/zod-openapi'
import { ApiError } from './errors.js'
import { formatIssue } from './pipeline.js'
import { errorSchema } from './schemas.js'

/** Turns the first zod issue into a 400 whose detail names the field and the rule. */
export function validationHook(result: { success: boolean; error?: { issues: readonly unknown[] }; target: string }) {
  if (result.success || !result.error) return
  const issue = result.error.issues[0] as Parameters<typeof formatIssue>[0]
  const root = result.target === 'json' ? 'body' : result.target
  throw new ApiError(400, formatIssue(issue, root))
}

/** A route group: an OpenAPIHono that reports validation failures the one way. */
export function routeGroup() {
  return new OpenAPIHono({ defaultHook: validationHook })
}

const errorDescriptions: Record<number, string> = {
  400: 'Invalid request: the detail names the field and the rule',
  401: 'Missing or invalid bearer token',
  403: 'The read-only token may not use this route',
  404: 'Not found',
  409: 'Conflicts with the daemon\'s current state',
  413: 'Body over 64 KiB',
  415: 'Body is not application/json',
  500: 'Server error (no stack trace is ever sent)',
  503: 'Not now, the detail says why: another start or stop holds the lock, too many large answers or streams are in flight (retry after Retry-After), or the dead-man check failed',
}

/** OpenAPI entries for the error body under the given statuses. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [s, { description: errorDescriptions[s] ?? 'Error', content: { 'application/json': { schema: errorSchema } } }]),
  )
}

/** An OpenAPI response entry with a JSON body. */
export function jsonResponse<T>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } }
}
