import type { OpenAPIHono } from '@hono/zod-openapi'
import { VERSION } from '../version.js'

/** The document's version is the package's: the API changes only with a release of it. */
export const API_VERSION = VERSION

export const API_TITLE = 'pipeline-cron API'

/** The app whose routes the document describes. */
export type OpenApiSource = Pick<OpenAPIHono, 'getOpenAPI31Document'>

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
  { name: 'pipelines', description: 'Every pipeline this server runs.' },
]

/**
 * The OpenAPI 3.1 document of every route the app defined with `defineRoute` (which gives each
 * its security, error answers and examples), as served under `prefix` (e.g. "/cron" when mounted
 * with `parent.route('/cron', app)`).
 */
export function buildOpenApiDocument(source: OpenApiSource, prefix = '') {
  return source.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: API_TITLE, version: API_VERSION, description: DESCRIPTION, license: { name: 'MIT' } },
    tags: TAGS,
    servers: [{ url: prefix || '/', description: 'This server' }],
  })
}
