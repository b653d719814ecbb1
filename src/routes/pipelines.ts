import { createRoute } from '@hono/zod-openapi'
import type { PipelineCatalog } from '../control/catalog.js'
import { errorResponses, jsonResponse, routeGroup } from '../route-kit.js'
import { pipelinesSchema } from '../schemas.js'

const list = createRoute({
  method: 'get',
  path: '/api/pipelines',
  tags: ['pipelines'],
  summary: 'Every pipeline with its state, sorted by name',
  description: 'A file added to the pipelines folder appears here without a restart.',
  responses: { 200: jsonResponse(pipelinesSchema, 'The pipelines'), ...errorResponses(401, 500) },
})

/** `GET /api/pipelines`. */
export function pipelineListRoutes(catalog: PipelineCatalog) {
  return routeGroup().openapi(list, async (c) => c.json({ pipelines: await catalog.list() }, 200))
}
