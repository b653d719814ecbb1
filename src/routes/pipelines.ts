import type { PipelineCatalog } from '../control/catalog.js'
import { defineRoute, jsonResponse, routeGroup } from '../route-kit.js'
import { pipelinesSchema, type PipelineSummary } from '../schemas.js'

const list = defineRoute({
  method: 'get',
  path: '/api/pipelines',
  tags: ['pipelines'],
  summary: 'Every pipeline with its state, sorted by name',
  description: 'A file added to the pipelines folder appears here without a restart.',
  responses: { 200: jsonResponse(pipelinesSchema, 'The pipelines') },
}, { guarded: true })

/** `GET /api/pipelines`. */
export function pipelineListRoutes(catalog: PipelineCatalog) {
  // The catalog hands back the same rows while nothing changed: their JSON is written once for them.
  let written: { rows: PipelineSummary[]; body: string } | null = null
  return routeGroup().openapi(list, async (c) => {
    const rows = await catalog.list()
    if (written?.rows !== rows) written = { rows, body: JSON.stringify({ pipelines: rows }) }
    return c.body(written.body, 200, { 'Content-Type': 'application/json' }) as unknown as ReturnType<typeof c.json<{ pipelines: PipelineSummary[] }, 200>>
  })
}
