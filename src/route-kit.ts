import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import type { RouteConfig } from '@hono/zod-openapi'
import { genericErrorExamples } from './docs/examples.js'
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

/** The security scheme a guarded route names; createApp registers it with the app. */
export const BEARER_AUTH = 'bearerAuth'
export const BEARER_AUTH_SCHEME = {
  type: 'http' as const,
  scheme: 'bearer',
  description: 'Needed only when the server runs with `--token` / `CRON_API_TOKEN` (or `--read-token` for GET routes).',
}

/** What a route's document says beyond its createRoute config. */
export interface RouteDoc {
  /**
   * Behind the bearer token (when the server has one). The auth middleware reads this back from
   * the app's registry (`guardedPaths`), so the document and the answers cannot disagree.
   */
  guarded?: boolean
  /** Error statuses of the route's own (404, 409, 503...); those its shape implies are added. */
  errors?: number[]
  /** A JSON example per status; an error status without one shows the generic example. */
  examples?: Record<number, unknown>
  /** Named examples of the JSON request body. */
  bodyExamples?: Record<string, { summary: string; value: unknown }>
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

/**
 * createRoute, completed with what the app-wide middleware answers: 500 always; 401 (and 403 for
 * a route that changes something) when guarded; 400 for a validated input; 413 and 415 for a
 * body. Each JSON answer gets its example, and the operation an id (`postApiCronStart`).
 */
export function defineRoute<P extends string, R extends Omit<RouteConfig, 'path'> & { path: P }>(
  config: R,
  doc: RouteDoc = {},
): ReturnType<typeof createRoute<P, R>> {
  const input = config.request
  const statuses = new Set([...(doc.errors ?? []), 500])
  if (doc.guarded) statuses.add(401)
  if (doc.guarded && config.method !== 'get') statuses.add(403)
  if (input?.body || input?.params || input?.query) statuses.add(400)
  if (input?.body) [413, 415].forEach((s) => statuses.add(s))
  const errors = Object.fromEntries(
    [...statuses].map((status) => [
      status,
      { description: errorDescriptions[status] ?? 'Error', content: { 'application/json': { schema: errorSchema, example: doc.examples?.[status] ?? genericErrorExamples[status] } } },
    ]),
  )
  const own = Object.fromEntries(Object.entries(config.responses).map(([status, response]) => [status, withExample(response, doc.examples?.[Number(status)])]))
  const body = input?.body
  const request = body && doc.bodyExamples ? { ...input, body: { ...body, content: withBodyExamples(body.content, doc.bodyExamples) } } : input
  return createRoute({
    ...config,
    operationId: config.operationId ?? operationId(config.method, config.path),
    ...(doc.guarded ? { security: [{ [BEARER_AUTH]: [] }] } : {}),
    ...(request ? { request } : {}),
    responses: { ...errors, ...own },
  })
}

/**
 * The paths the bearer token guards, as hono paths, read from the routes defined with `guarded`.
 * A guarded route under a top folder guards the whole folder (`/api/*`), so an unknown path there
 * answers 401 like a known one: a caller without the token learns nothing about which paths exist.
 */
export function guardedPaths(group: Pick<OpenAPIHono, 'openAPIRegistry'>): string[] {
  const paths = new Set<string>()
  for (const definition of group.openAPIRegistry.definitions) {
    if (definition.type !== 'route' || !definition.route.security?.some((s) => BEARER_AUTH in s)) continue
    const [top, ...rest] = definition.route.path.split('/').filter(Boolean)
    paths.add(rest.length > 0 ? `/${top}/*` : definition.route.path.replace(/\{(\w+)\}/g, ':$1'))
  }
  return [...paths]
}

/** An OpenAPI response entry with a JSON body. */
export function jsonResponse<T>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } }
}

type ResponseEntry = RouteConfig['responses'][string]

function withExample(response: ResponseEntry, example: unknown): ResponseEntry {
  const media = 'content' in response ? response.content?.['application/json'] : undefined
  if (example === undefined || !media || !('content' in response)) return response
  return { ...response, content: { ...response.content, 'application/json': { ...media, example } } }
}

function withBodyExamples<C extends object>(content: C, examples: RouteDoc['bodyExamples']): C {
  const media = 'application/json' in content ? content['application/json'] : undefined
  return media ? { ...content, 'application/json': { ...media, examples } } : content
}

/** `post /api/cron/runs/{id}/logs` becomes `postApiCronRunsIdLogs`. */
function operationId(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean)
  return method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')
}
