import type { PipelineCatalog } from '../control/catalog.js'
import { defineRoute, jsonResponse, routeGroup } from '../route-kit.js'
import { pipelinesSchema } from '../schemas.js'

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
  return routeGroup().openapi(list, async (c) => c.json({ pipelines: await catalog.list() }, 200))
}
