import { z } from '@hono/zod-openapi'
import type { Slots } from '../answer-slots.js'
import { ApiError } from '../errors.js'
import { largeAnswer, logsJson } from '../large-answer.js'
import { badQueryExamples, runExamples, runLogsExamples } from '../docs/examples.js'
import { defineRoute, jsonResponse, routeGroup } from '../route-kit.js'
import { runLines } from '../run-log.js'
import { limitQuerySchema, logsSchema, runRecordSchema, runsSchema } from '../schemas.js'
import type { PipelineScope } from './scope.js'
import { withScopeParams } from './scope.js'

const idParam = z.object({
  id: z
    .string()
    .max(100, { error: 'must be at most 100 characters' })
    .openapi({ param: { name: 'id', in: 'path' }, example: '20261128T195100Z-1a2b' }),
})

/** The run history of one pipeline, and each run's own log lines (streamed: `answers` is shared by every scope). */
export function runRoutes<P extends string>(scope: PipelineScope<P>, answers: Slots) {
  const runs = defineRoute({
    method: 'get',
    path: `${scope.prefix}/runs`,
    tags: ['runs'],
    summary: 'Past runs, newest first (default 50)',
    request: { ...(scope.params ? { params: scope.params } : {}), query: limitQuerySchema },
    responses: { 200: jsonResponse(runsSchema, 'Runs') },
  }, { guarded: true, errors: [404], examples: badQueryExamples('limit') })

  const run = defineRoute({
    method: 'get',
    path: `${scope.prefix}/runs/{id}`,
    tags: ['runs'],
    summary: 'One run',
    request: { params: withScopeParams(scope, idParam) },
    responses: { 200: jsonResponse(runRecordSchema, 'The run') },
  }, { guarded: true, errors: [404], examples: runExamples })

  const runLogs = defineRoute({
    method: 'get',
    path: `${scope.prefix}/runs/{id}/logs`,
    tags: ['runs'],
    summary: "One run's log lines, while they are in the retained log files",
    request: { params: withScopeParams(scope, idParam) },
    responses: { 200: jsonResponse(logsSchema, "The run's lines") },
  }, { guarded: true, errors: [404, 503], examples: runLogsExamples })

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
      const batches = runLines(pipeline.logs.readRetained(), id)
      // The first batch tells whether the run is there; the rest streams as the client reads.
      const first = await batches.next()
      if (first.done) {
        const known = await pipeline.runs.get(id)
        throw new ApiError(404, known ? `The log lines of run ${id} are no longer in the retained log files` : `Run not found: ${id}`)
      }
      return (await largeAnswer(c, asText(first.value, batches), logsJson(), answers))
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
