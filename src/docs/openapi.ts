import type { OpenAPIHono } from '@hono/zod-openapi'
import { errorSchema } from '../schemas.js'
import { VERSION } from '../version.js'
import { genericErrorExamples, requestExamples, responseExamples } from './examples.js'

/** The document's version is the package's: the API changes only with a release of it. */
export const API_VERSION = VERSION

export const API_TITLE = 'pipeline-cron API'

/** The app whose routes the document describes. */
export type OpenApiSource = Pick<OpenAPIHono, 'getOpenAPI31Document' | 'openAPIRegistry'>

type Json = Record<string, any>

const DESCRIPTION = `Keeps a data pipeline running on a schedule and lets people and programs control it over HTTP.

**Errors.** Every non-2xx answer has the body \`{"error": true, "detail": "...", "timestamp": "..."}\`.
A validation \`detail\` names the field and the rule, e.g. \`interval_seconds: must be an integer >= 10\`.

**Auth.** When the server runs with \`--token\` (\`CRON_API_TOKEN\`), every route under \`/api/\` and \`/metrics\`
needs \`Authorization: Bearer <token>\`; a read-only token (\`--read-token\`) may use GET routes only.
\`/health\`, the dashboard, these docs and \`/openapi.json\` stay public.

**Limits.** \`lines\` and \`limit\` are integers from 1 to 100000; request bodies are at most 64 KiB.`

const TAGS = [
  { name: 'daemon', description: 'Start, stop and inspect the daemon that runs the pipeline on its schedule.' },
  { name: 'runs', description: 'Past and current runs, and running the pipeline now.' },
  { name: 'logs', description: 'The pipeline log: read, tail, follow live, clear.' },
  { name: 'monitoring', description: 'Dead-man check and Prometheus metrics.' },
  { name: 'health', description: 'Liveness of the API server itself.' },
  { name: 'dashboard', description: 'The web dashboard and its files.' },
  { name: 'docs', description: 'This document and the pages that render it.' },
]

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const

/** Routes behind the bearer token (the same rule as the auth middleware in app.ts). */
export function isGuardedPath(path: string): boolean {
  return path.startsWith('/api/') || path === '/metrics'
}

/**
 * The OpenAPI 3.1 document of every route the app registered with `createRoute`, completed
 * with what the app-wide middleware adds (bearer auth, 401/403, 413, 500) and the seed's examples.
 */
export function buildOpenApiDocument(source: OpenApiSource): Json {
  // The app-wide 401/500 answers below point at the Error component, used by a route or not.
  if (!source.openAPIRegistry.definitions.some((d) => d.type === 'schema' && d.schema === errorSchema)) {
    source.openAPIRegistry.register('Error', errorSchema)
  }
  const generated = source.getOpenAPI31Document({ openapi: '3.1.0', info: { title: API_TITLE, version: API_VERSION } })
  // A JSON copy: the generator may share one object between operations, and we edit per operation.
  const doc = JSON.parse(JSON.stringify(generated)) as Json
  doc.info = { title: API_TITLE, version: API_VERSION, description: DESCRIPTION, license: { name: 'MIT', identifier: 'MIT' } }
  const used = new Set<string>()
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined
      if (!op) continue
      for (const tag of op.tags ?? []) used.add(tag)
      completeOperation(op, method, path)
    }
  }
  doc.tags = [...TAGS.filter((t) => used.has(t.name)), ...[...used].filter((n) => !TAGS.some((t) => t.name === n)).map((name) => ({ name }))]
  doc.components ??= {}
  doc.components.securitySchemes = {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      description: 'Needed only when the server runs with `--token` / `CRON_API_TOKEN` (or `--read-token` for GET routes).',
    },
  }
  return doc
}

/** The document as served at `prefix` (e.g. "/cron" when mounted with `parent.route('/cron', app)`). */
export function withServer(doc: Json, prefix: string): Json {
  return { ...doc, servers: [{ url: prefix || '/', description: 'This server' }] }
}

function completeOperation(op: Json, method: string, path: string) {
  const key = `${method} ${path}`
  op.operationId ??= operationId(method, path)
  op.responses ??= {}
  const errors: string[] = ['500']
  if (isGuardedPath(path)) {
    op.security = [{ bearerAuth: [] }]
    errors.push('401')
    if (method !== 'get' && method !== 'head') errors.push('403')
  }
  // Every validated input (route-kit's validation hook) can answer 400 with the field and the rule.
  if (op.requestBody || (op.parameters ?? []).length > 0) errors.push('400')
  if (op.requestBody) errors.push('413')
  for (const status of errors) {
    op.responses[status] ??= { description: ERROR_DESCRIPTIONS[status], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
  }

  const bodyExamples = requestExamples[key]
  const bodyMedia = op.requestBody?.content?.['application/json']
  if (bodyExamples && bodyMedia && !bodyMedia.examples) bodyMedia.examples = bodyExamples

  for (const [status, response] of Object.entries<Json>(op.responses)) {
    const media = response.content?.['application/json'] as Json | undefined
    if (!media || media.example !== undefined || media.examples !== undefined) continue
    const example = responseExamples[key]?.[status] ?? genericErrorExamples[status] ?? queryErrorExample(op, status)
    if (example !== undefined) media.example = example
  }
}

const ERROR_DESCRIPTIONS: Record<string, string> = {
  400: 'Invalid request: the detail names the field and the rule',
  401: 'Missing or invalid bearer token (only when the server has a token)',
  403: 'The read-only token may not use this route',
  413: 'Body over 64 KiB',
  500: 'Server error (no stack trace is ever sent)',
}

/** A 400 example for an operation whose only input is a `lines` or `limit` query parameter. */
function queryErrorExample(op: Json, status: string): unknown {
  if (status !== '400') return undefined
  const param = (op.parameters as Json[] | undefined)?.find((p) => p.in === 'query' && (p.name === 'lines' || p.name === 'limit'))
  if (!param) return undefined
  return { error: true, detail: `${param.name}: must be an integer from 1 to 100000`, timestamp: '2025-12-26T10:30:45.123Z' }
}

/** `post /api/cron/runs/{id}/logs` becomes `postApiCronRunsIdLogs`. */
function operationId(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean)
  return method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')
}
