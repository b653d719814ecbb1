import { createRoute } from '@hono/zod-openapi'
import { routeGroup } from '../route-kit.js'
import { healthSchema } from '../schemas.js'

const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Liveness check of the API server',
  responses: { 200: { description: 'The server is up', content: { 'application/json': { schema: healthSchema } } } },
})

export function healthRoutes() {
  return routeGroup().openapi(health, (c) => c.json({ status: 'healthy' as const, timestamp: new Date().toISOString() }, 200))
}
