import { healthExamples } from '../docs/examples.js'
import { defineRoute, routeGroup } from '../route-kit.js'
import { healthSchema } from '../schemas.js'

const health = defineRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Liveness check of the API server',
  responses: { 200: { description: 'The server is up', content: { 'application/json': { schema: healthSchema } } } },
}, { examples: healthExamples })

export function healthRoutes() {
  return routeGroup().openapi(health, (c) => c.json({ status: 'healthy' as const, timestamp: new Date().toISOString() }, 200))
}
