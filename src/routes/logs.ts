import { createRoute, z } from '@hono/zod-openapi'
import { streamSSE } from 'hono/streaming'
import type { AppSettings } from '../app-deps.js'
import { countLines } from '../log-line.js'
import { errorResponses, routeGroup } from '../route-kit.js'
import { linesQuerySchema, logsSchema, successSchema } from '../schemas.js'
import { audit } from './audit.js'
import type { PipelineScope } from './scope.js'

/** The log of one pipeline: read, tail, follow live, clear. */
export function logRoutes<P extends string>(scope: PipelineScope<P>, settings: Pick<AppSettings, 'heartbeatMs' | 'clientAddress'>) {
  const heartbeatMs = settings.heartbeatMs ?? 15_000
  const params = scope.params ? { params: scope.params } : {}
  const logs = createRoute({
    method: 'get',
    path: `${scope.prefix}/logs`,
    tags: ['logs'],
    summary: 'All lines of the current log file, or the last `lines`',
    request: { ...params, query: linesQuerySchema },
    responses: {
      200: { description: 'The log', content: { 'application/json': { schema: logsSchema } } },
      ...errorResponses(400, 401, 404, 500),
    },
  })

  const tail = createRoute({
    method: 'get',
    path: `${scope.prefix}/logs/tail`,
    tags: ['logs'],
    summary: 'The last `lines` lines (default 50), as plain text',
    request: { ...params, query: linesQuerySchema },
    responses: {
      200: {
        description: 'The last lines',
        content: { 'text/plain': { schema: z.string().openapi({ example: '[2025-12-26 10:30:45] [1/5] Running exotel_api...\n' }) } },
      },
      ...errorResponses(400, 401, 404, 500),
    },
  })

  const clear = createRoute({
    method: 'delete',
    path: `${scope.prefix}/logs`,
    tags: ['logs'],
    summary: 'Clear the log',
    responses: {
      200: { description: 'Cleared', content: { 'application/json': { schema: successSchema } } },
      ...errorResponses(401, 404, 500),
    },
  })

  const stream = createRoute({
    method: 'get',
    path: `${scope.prefix}/logs/stream`,
    tags: ['logs'],
    summary: 'Live log (Server-Sent Events): the last `lines` lines (default 50), then each new line',
    description:
      'Each message\'s `data` is one log line. `event: clear` says the log was cleared. A `:` comment is sent as a heartbeat every 15 s. Survives rotation; ends when the client goes.',
    request: { ...params, query: linesQuerySchema },
    responses: {
      200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } },
      ...errorResponses(400, 401, 404, 500),
    },
  })

  return routeGroup()
    .openapi(logs, async (c) => {
      const pipeline = await scope.resolve(c)
      const { lines } = c.req.valid('query')
      if (lines !== undefined) {
        const text = await pipeline.logs.tail(lines)
        return c.json({ logs: text, line_count: countLines(text) }, 200)
      }
      // The whole file is streamed as JSON, so a big log never sits in memory twice. Its first
      // chunk is read before answering: a log that cannot be read gets the error body, not a cut 200.
      const chunks = pipeline.logs.readAll()[Symbol.asyncIterator]()
      const first = await chunks.next()
      c.header('Content-Type', 'application/json; charset=utf-8')
      return c.body(wholeLogAsJson(first, chunks), 200) as never
    })
    .openapi(tail, async (c) => {
      const pipeline = await scope.resolve(c)
      const { lines } = c.req.valid('query')
      return c.text(await pipeline.logs.tail(lines ?? 50), 200)
    })
    .openapi(stream, async (c) => {
      const pipeline = await scope.resolve(c)
      const { lines } = c.req.valid('query')
      const abort = new AbortController()
      const events = pipeline.logs.follow(lines ?? 50, abort.signal)[Symbol.asyncIterator]()
      // The history is taken before answering: a log that cannot be read gets the error body,
      // not an event stream that stays silent.
      const first = await events.next()
      return streamSSE(c, async (sse) => {
        sse.onAbort(() => abort.abort())
        let heartbeat: ReturnType<typeof setInterval> | undefined
        try {
          for (let next = first; !next.done; next = await events.next()) {
            const event = next.value
            // Sent with the history, i.e. once the subscription is live: a client that saw it
            // cannot miss a line written afterwards. Heartbeats start after it.
            if (!heartbeat) {
              await sse.write(': connected\n\n')
              heartbeat = setInterval(() => void sse.write(': heartbeat\n\n').catch(() => abort.abort()), heartbeatMs)
            }
            if (event.type === 'clear') await sse.write('event: clear\ndata: \n\n')
            else if (event.lines.length === 0) continue
            // One write per batch; a line never holds "\n", and a stray "\r" would split an SSE field.
            else await sse.write(event.lines.map((l) => `data: ${l.replace(/\r/g, '')}\n\n`).join(''))
          }
        } finally {
          clearInterval(heartbeat)
          abort.abort()
          await events.return?.()
        }
      }) as never
    })
    .openapi(clear, async (c) => {
      const pipeline = await scope.resolve(c)
      await pipeline.logs.clear()
      await audit(pipeline, settings, c, 'cleared the logs')
      return c.json({ success: true as const, message: 'Logs cleared successfully', timestamp: new Date().toISOString() }, 200)
    })
}

/** `{"logs": "...", "line_count": N}` written chunk by chunk from the log's text chunks (`first` already read). */
function wholeLogAsJson(first: IteratorResult<string>, iterator: AsyncIterator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let pending: IteratorResult<string> | null = first
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
      const next = pending ?? (await iterator.next())
      pending = null
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
