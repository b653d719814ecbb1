import { createRoute, z } from '@hono/zod-openapi'
import { ApiError } from '../errors.js'
import { errorResponses, jsonResponse, routeGroup } from '../route-kit.js'
import { extractRunLines } from '../run-log.js'
import { limitQuerySchema, logsSchema, runRecordSchema, runsSchema } from '../schemas.js'
import type { PipelineScope } from './scope.js'
import { withScopeParams } from './scope.js'

const idParam = z.object({
  id: z
    .string()
    .max(100, { error: 'must be at most 100 characters' })
    .openapi({ param: { name: 'id', in: 'path' }, example: '20261128T195100Z-1a2b' }),
})

/** The run history of one pipeline, and each run's own log lines. */
export function runRoutes<P extends string>(scope: PipelineScope<P>) {
  const runs = createRoute({
    method: 'get',
    path: `${scope.prefix}/runs`,
    tags: ['runs'],
    summary: 'Past runs, newest first (default 50)',
    request: { ...(scope.params ? { params: scope.params } : {}), query: limitQuerySchema },
    responses: { 200: jsonResponse(runsSchema, 'Runs'), ...errorResponses(400, 401, 404, 500) },
  })

  const run = createRoute({
    method: 'get',
    path: `${scope.prefix}/runs/{id}`,
    tags: ['runs'],
    summary: 'One run',
    request: { params: withScopeParams(scope, idParam) },
    responses: { 200: jsonResponse(runRecordSchema, 'The run'), ...errorResponses(400, 401, 404, 500) },
  })

  const runLogs = createRoute({
    method: 'get',
    path: `${scope.prefix}/runs/{id}/logs`,
    tags: ['runs'],
    summary: "One run's log lines, while they are in the retained log files",
    request: { params: withScopeParams(scope, idParam) },
    responses: { 200: jsonResponse(logsSchema, "The run's lines"), ...errorResponses(400, 401, 404, 500) },
  })

  return routeGroup()
    .openapi(runs, async (c) => {
      const pipeline = await scope.resolve(c)
      const { limit } = c.req.valid('query')
      return c.json({ runs: await pipeline.runs.list(limit ?? 50) }, 200)
    })
    .openapi(run, async (c) => {
      const pipeline = await scope.resolve(c)
      const { id } = c.req.valid('param')
      const found = await pipeline.runs.get(id)
      if (!found) throw new ApiError(404, `Run not found: ${id}`)
      return c.json(found, 200)
    })
    .openapi(runLogs, async (c) => {
      const pipeline = await scope.resolve(c)
      const { id } = c.req.valid('param')
      const lines = await extractRunLines(pipeline.logs.readRetained(), id)
      if (!lines) {
        const known = await pipeline.runs.get(id)
        throw new ApiError(404, known ? `The log lines of run ${id} are no longer in the retained log files` : `Run not found: ${id}`)
      }
      const text = lines.length ? lines.join('\n') + '\n' : ''
      return c.json({ logs: text, line_count: lines.length }, 200)
    })
}
