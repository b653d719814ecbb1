import { z } from '@hono/zod-openapi'
import type { AppDeps } from '../app-deps.js'
import { checkRecentSuccess } from '../dead-man-check.js'
import { ApiError } from '../errors.js'
import { renderMetrics } from '../metrics.js'
import { deadManExamples } from '../docs/examples.js'
import { defineRoute, routeGroup } from '../route-kit.js'
import type { PipelineScope } from './scope.js'

// Enough history for the run counts and the last success of a busy pipeline, read from memory.
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

const healthyBody = z.object({
  status: z.literal('ok'),
  reason: z.string(),
  last_success_at: z.string().nullable(),
  max_age_seconds: z.number().nullable(),
  expected_since: z.string().nullable(),
  timestamp: z.string(),
})

/** The dead-man check of one pipeline. */
export function deadManRoutes<P extends string>(scope: PipelineScope<P>) {
  const deadMan = defineRoute({
    method: 'get',
    path: `${scope.prefix}/health`,
    tags: ['monitoring'],
    summary: 'Dead-man check for an uptime monitor',
    description:
      '200 while the pipeline runs and its last success came after the schedule\'s second-to-last fire time (or within `max_age_seconds`); 503 with the reason otherwise.',
    request: { ...(scope.params ? { params: scope.params } : {}), query: healthQuery },
    responses: {
      200: { description: 'Healthy', content: { 'application/json': { schema: healthyBody } } },
    },
  }, { guarded: true, errors: [404, 503], examples: deadManExamples })
  return routeGroup().openapi(deadMan, async (c) => {
    const pipeline = await scope.resolve(c)
    const { max_age_seconds } = c.req.valid('query')
    const [status, runs] = await Promise.all([pipeline.controller.status(), pipeline.runs.list(200)])
    const { healthy, ...verdict } = checkRecentSuccess(status, runs, new Date(), max_age_seconds)
    if (!healthy) throw new ApiError(503, verdict.reason)
    return c.json({ status: 'ok' as const, ...verdict, timestamp: new Date().toISOString() }, 200)
  })
}

const metrics = defineRoute({
  method: 'get',
  path: '/metrics',
  tags: ['monitoring'],
  summary: 'Prometheus metrics of every pipeline (label `pipeline`)',
  responses: {
    200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: z.string() } } },
  },
}, { guarded: true })

/** `/metrics`: every pipeline's series. */
export function metricsRoutes(deps: Pick<AppDeps, 'pipelines' | 'daemonMetrics'>) {
  return routeGroup().openapi(metrics, async (c) => {
    const summaries = await deps.pipelines.list()
    const pipelines = await Promise.all(
      summaries.map(async ({ name }) => {
        const handle = (await deps.pipelines.get(name))!
        const [status, runs] = await Promise.all([handle.controller.status(), handle.runs.list(RUNS_FOR_METRICS)])
        return { name, status, runs }
      }),
    )
    return c.text(renderMetrics(pipelines, deps.daemonMetrics?.()), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' })
  })
}
