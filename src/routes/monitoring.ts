import { createRoute, z } from '@hono/zod-openapi'
import type { AppOptions } from '../app.js'
import { assessHealth } from '../deadman.js'
import { ApiError } from '../errors.js'
import { renderMetrics } from '../metrics.js'
import { errorResponses, routeGroup } from '../route-kit.js'

const RUNS_FOR_METRICS = 1000

const healthQuery = z.object({
  max_age_seconds: z
    .string()
    .regex(/^\d{1,9}$/, { error: 'must be an integer from 1 to 999999999' })
    .transform(Number)
    .refine((n) => n >= 1, { error: 'must be an integer from 1 to 999999999' })
    .optional()
    .openapi({ param: { name: 'max_age_seconds', in: 'query' }, type: 'integer', minimum: 1 }),
})

const deadman = createRoute({
  method: 'get',
  path: '/api/cron/health',
  tags: ['monitoring'],
  summary: 'Dead-man check for an uptime monitor',
  description: '200 while the daemon runs and the last success is recent (two schedule periods, or `max_age_seconds`); 503 with the reason otherwise.',
  request: { query: healthQuery },
  responses: {
    200: {
      description: 'Healthy',
      content: {
        'application/json': {
          schema: z.object({
            status: z.literal('ok'),
            reason: z.string(),
            last_success_at: z.string().nullable(),
            max_age_seconds: z.number().nullable(),
            timestamp: z.string(),
          }),
        },
      },
    },
    ...errorResponses(400, 401, 503),
  },
})

const metrics = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['monitoring'],
  summary: 'Prometheus metrics',
  responses: {
    200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: z.string() } } },
    ...errorResponses(401, 500),
  },
})

export function monitoringRoutes(o: AppOptions) {
  return routeGroup()
    .openapi(deadman, async (c) => {
      const { max_age_seconds } = c.req.valid('query')
      const [status, runs] = await Promise.all([o.controller.status(), o.runs.list(200)])
      const health = assessHealth(status, runs, new Date(), max_age_seconds)
      if (!health.healthy) throw new ApiError(503, health.reason)
      return c.json({ status: 'ok' as const, ...withoutFlag(health), timestamp: new Date().toISOString() }, 200)
    })
    .openapi(metrics, async (c) => {
      const [status, runs] = await Promise.all([o.controller.status(), o.runs.list(RUNS_FOR_METRICS)])
      return c.text(renderMetrics(status, runs), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' })
    })
}

function withoutFlag(h: ReturnType<typeof assessHealth>) {
  const { healthy: _healthy, ...rest } = h
  return rest
}
