import { createRoute, z } from '@hono/zod-openapi'
import type { AppOptions } from '../app.js'
import type { Slots } from '../answer-slots.js'
import { ApiError } from '../errors.js'
import { largeAnswer, logsJson } from '../large-answer.js'
import { errorResponses, jsonResponse, routeGroup } from '../route-kit.js'
import { runLines } from '../run-log.js'
import { limitQuerySchema, logsSchema, runRecordSchema, runsSchema } from '../schemas.js'

const idParam = z.object({
  id: z
    .string()
    .max(100, { error: 'must be at most 100 characters' })
    .openapi({ param: { name: 'id', in: 'path' }, example: '20261128T195100Z-1a2b' }),
})

const runs = createRoute({
  method: 'get',
  path: '/api/cron/runs',
  tags: ['runs'],
  summary: 'Past runs, newest first (default 50)',
  request: { query: limitQuerySchema },
  responses: { 200: jsonResponse(runsSchema, 'Runs'), ...errorResponses(400, 401, 500) },
})

const run = createRoute({
  method: 'get',
  path: '/api/cron/runs/{id}',
  tags: ['runs'],
  summary: 'One run',
  request: { params: idParam },
  responses: { 200: jsonResponse(runRecordSchema, 'The run'), ...errorResponses(400, 401, 404, 500) },
})

const runLogs = createRoute({
  method: 'get',
  path: '/api/cron/runs/{id}/logs',
  tags: ['runs'],
  summary: "One run's log lines, while they are in the retained log files",
  request: { params: idParam },
  responses: { 200: jsonResponse(logsSchema, "The run's lines"), ...errorResponses(400, 401, 404, 500, 503) },
})

export function runRoutes(o: AppOptions, answers: Slots) {
  return routeGroup()
    .openapi(runs, async (c) => {
      const { limit } = c.req.valid('query')
      return c.json({ runs: await o.runs.list(limit ?? 50) }, 200)
    })
    .openapi(run, async (c) => {
      const { id } = c.req.valid('param')
      const found = await o.runs.get(id)
      if (!found) throw new ApiError(404, `Run not found: ${id}`)
      return c.json(found, 200)
    })
    .openapi(runLogs, async (c) => {
      const { id } = c.req.valid('param')
      const batches = runLines(o.logs.readRetained(), id)
      // The first batch tells whether the run is there; the rest streams as the client reads.
      const first = await batches.next()
      if (first.done) {
        const known = await o.runs.get(id)
        throw new ApiError(404, known ? `The log lines of run ${id} are no longer in the retained log files` : `Run not found: ${id}`)
      }
      return (await largeAnswer(c, asText(first.value, batches), logsJson(), answers)) as never
    })
}

/**
 * Batches of lines (the first already read) as text chunks, each line followed by "\n". Not a
 * generator: ending it before its first chunk must still close `rest`, which holds open files.
 */
function asText(first: string[], rest: AsyncGenerator<string[]>): AsyncIterable<string> {
  const text = (batch: string[]) => batch.join('\n') + '\n'
  let pending: string[] | null = first
  return {
    [Symbol.asyncIterator]: () => ({
      async next() {
        if (pending) {
          const value = text(pending)
          pending = null
          return { done: false, value }
        }
        const next = await rest.next()
        return next.done ? { done: true, value: undefined } : { done: false, value: text(next.value) }
      },
      async return() {
        await rest.return(undefined)
        return { done: true, value: undefined }
      },
    }),
  }
}
