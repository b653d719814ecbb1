import { createRoute, z } from '@hono/zod-openapi'
import type { AppOptions } from '../app.js'
import { countLines } from '../log-line.js'
import { errorResponses, routeGroup } from '../route-kit.js'
import { linesQuerySchema, logsSchema, successSchema } from '../schemas.js'
import { audit } from './audit.js'

const logs = createRoute({
  method: 'get',
  path: '/api/cron/logs',
  tags: ['logs'],
  summary: 'All lines of the current log file, or the last `lines`',
  request: { query: linesQuerySchema },
  responses: {
    200: { description: 'The log', content: { 'application/json': { schema: logsSchema } } },
    ...errorResponses(400, 401, 500),
  },
})

const tail = createRoute({
  method: 'get',
  path: '/api/cron/logs/tail',
  tags: ['logs'],
  summary: 'The last `lines` lines (default 50), as plain text',
  request: { query: linesQuerySchema },
  responses: {
    200: {
      description: 'The last lines',
      content: { 'text/plain': { schema: z.string().openapi({ example: '[2025-12-26 10:30:45] [1/5] Running exotel_api...\n' }) } },
    },
    ...errorResponses(400, 401, 500),
  },
})

const clear = createRoute({
  method: 'delete',
  path: '/api/cron/logs',
  tags: ['logs'],
  summary: 'Clear the log',
  responses: {
    200: { description: 'Cleared', content: { 'application/json': { schema: successSchema } } },
    ...errorResponses(401, 500),
  },
})

export function logRoutes(o: AppOptions) {
  return routeGroup()
    .openapi(logs, async (c) => {
      const { lines } = c.req.valid('query')
      if (lines !== undefined) {
        const text = await o.logs.tail(lines)
        return c.json({ logs: text, line_count: countLines(text) }, 200)
      }
      // The whole file is streamed as JSON, so a big log never sits in memory twice.
      c.header('Content-Type', 'application/json; charset=utf-8')
      return c.body(wholeLogAsJson(o.logs.readAll()), 200) as never
    })
    .openapi(tail, async (c) => {
      const { lines } = c.req.valid('query')
      return c.text(await o.logs.tail(lines ?? 50), 200)
    })
    .openapi(clear, async (c) => {
      await o.logs.clear()
      await audit(o, c, 'cleared the logs')
      return c.json({ success: true as const, message: 'Logs cleared successfully', timestamp: new Date().toISOString() }, 200)
    })
}

/** `{"logs": "...", "line_count": N}` written chunk by chunk from the log's text chunks. */
function wholeLogAsJson(chunks: AsyncIterable<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  const iterator = chunks[Symbol.asyncIterator]()
  let newlines = 0
  let last = ''
  let phase: 'head' | 'body' | 'done' = 'head'
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (phase === 'head') {
        phase = 'body'
        controller.enqueue(encoder.encode('{"logs":"'))
        return
      }
      const next = await iterator.next()
      if (!next.done) {
        const chunk = next.value
        if (chunk.length === 0) return
        for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) newlines++
        last = chunk[chunk.length - 1]!
        controller.enqueue(encoder.encode(JSON.stringify(chunk).slice(1, -1)))
        return
      }
      const lineCount = last === '' ? 0 : last === '\n' ? newlines : newlines + 1
      controller.enqueue(encoder.encode(`","line_count":${lineCount}}`))
      controller.close()
      phase = 'done'
    },
    async cancel() {
      await iterator.return?.()
    },
  })
}
