import { z } from '@hono/zod-openapi'
import { streamSSE } from 'hono/streaming'
import type { AppSettings } from '../app-deps.js'
import type { Slots } from '../answer-slots.js'
import { ApiError } from '../errors.js'
import { largeAnswer, logsJson, plainText } from '../large-answer.js'
import type { LogEvent } from '../ports.js'
import { badQueryExamples, clearLogsExamples } from '../docs/examples.js'
import { defineRoute, routeGroup } from '../route-kit.js'
import { linesQuerySchema, logsSchema, successSchema } from '../schemas.js'
import { audit } from './audit.js'
import type { PipelineScope } from './scope.js'

/**
 * Live streams at once. A stream whose client stopped reading holds at most its 1 MiB queue and
 * a few 64 KiB writes, so even 128 of them stay near 200 MB (less in practice: their queues hold
 * the same lines).
 */
export const MAX_LOG_STREAMS = 128
/** Text per SSE write: the stream holds one write while the client is slow. */
const SSE_WRITE_CHARS = 64 * 1024
/** A stream whose client took nothing for this many heartbeat periods is ended. */
const STALLED_HEARTBEATS = 4

/** The log of one pipeline: read, tail, follow live, clear. `answers` and `streams` are shared by every scope. */
export function logRoutes<P extends string>(
  scope: PipelineScope<P>,
  settings: Pick<AppSettings, 'heartbeatMs' | 'clientAddress'>,
  slots: { answers: Slots; streams: Slots },
) {
  const { answers, streams } = slots
  const params = scope.params ? { params: scope.params } : {}
  const logs = defineRoute({
    method: 'get',
    path: `${scope.prefix}/logs`,
    tags: ['logs'],
    summary: 'All lines of the current log file, or the last `lines`',
    request: { ...params, query: linesQuerySchema },
    responses: {
      200: { description: 'The log', content: { 'application/json': { schema: logsSchema } } },
    },
  }, { guarded: true, errors: [404, 503], examples: badQueryExamples('lines') })

  const tail = defineRoute({
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
    },
  }, { guarded: true, errors: [404, 503], examples: badQueryExamples('lines') })

  const clear = defineRoute({
    method: 'delete',
    path: `${scope.prefix}/logs`,
    tags: ['logs'],
    summary: 'Clear the log',
    request: { ...params },
    responses: {
      200: { description: 'Cleared', content: { 'application/json': { schema: successSchema } } },
    },
  }, { guarded: true, errors: [404], examples: clearLogsExamples })

  const stream = defineRoute({
    method: 'get',
    path: `${scope.prefix}/logs/stream`,
    tags: ['logs'],
    summary: 'Live log (Server-Sent Events): the last `lines` lines (default 50), then each new line',
    description:
      'Each message\'s `data` is one log line. `event: clear` says the log was cleared. `event: missed` with `data: {"lines": N}` says the client fell more than 1 MiB behind: N lines were skipped and the stream goes on from the newest. A `:` comment is sent as a heartbeat every 15 s. Survives rotation; ends when the client goes.',
    request: { ...params, query: linesQuerySchema },
    responses: {
      200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } },
    },
  }, { guarded: true, errors: [404, 503], examples: badQueryExamples('lines') })

  const heartbeatMs = settings.heartbeatMs ?? 15_000
  return routeGroup()
    .openapi(logs, async (c) => {
      const pipeline = await scope.resolve(c)
      const { lines } = c.req.valid('query')
      // Streamed as the client reads, so a big log never sits in memory per request.
      const chunks = lines !== undefined ? pipeline.logs.readLast(lines) : pipeline.logs.readAll()
      return (await largeAnswer(c, chunks, logsJson(), answers))
    })
    .openapi(tail, async (c) => {
      const pipeline = await scope.resolve(c)
      const { lines } = c.req.valid('query')
      return (await largeAnswer(c, pipeline.logs.readLast(lines ?? 50), plainText(), answers))
    })
    .openapi(stream, async (c) => {
      const { lines } = c.req.valid('query')
      const pipeline = await scope.resolve(c)
      // The runtimes drop a HEAD answer's body unread: a stream started for it would never end.
      if (c.req.method === 'HEAD') return c.body(null, 200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' })
      const release = streams.tryTake()
      if (!release) throw new ApiError(503, `Too many live log streams (${streams.max}); try again in a moment`, { 'Retry-After': '1' })
      const abort = new AbortController()
      const events = pipeline.logs.follow(lines ?? 50, abort.signal)[Symbol.asyncIterator]()
      // The history is taken before answering: a log that cannot be read gets the error body,
      // not an event stream that stays silent.
      let first: IteratorResult<LogEvent>
      try {
        first = await events.next()
      } catch (err) {
        release()
        throw err
      }
      return streamSSE(c, async (sse) => {
        sse.onAbort(() => abort.abort())
        let heartbeat: ReturnType<typeof setInterval> | undefined
        // A write waits until the client has taken the one before. `progress` is when a write
        // last finished (or began, after none was waiting).
        let pending = 0
        let progress = Date.now()
        const send = async (text: string) => {
          if (pending++ === 0) progress = Date.now()
          await sse.write(text)
          pending--
          progress = Date.now()
        }
        try {
          for (let next = first; !next.done; next = await events.next()) {
            const event = next.value
            // Sent with the history, i.e. once the subscription is live: a client that saw it
            // cannot miss a line written afterwards. Heartbeats start after it.
            if (!heartbeat) {
              await send(': connected\n\n')
              heartbeat = setInterval(() => {
                if (pending === 0) return void send(': heartbeat\n\n').catch(() => abort.abort())
                // Data is waiting, so no heartbeat is needed; a client that took nothing for
                // several periods is gone or asleep, and holds a stream slot for nothing.
                if (Date.now() - progress >= STALLED_HEARTBEATS * heartbeatMs) sse.abort()
              }, heartbeatMs)
            }
            if (event.type === 'clear') await send('event: clear\ndata: \n\n')
            else if (event.type === 'missed') await send(`event: missed\ndata: {"lines":${event.lines}}\n\n`)
            else for (const piece of ssePieces(event.lines)) await send(piece)
          }
        } finally {
          clearInterval(heartbeat)
          abort.abort()
          await events.return?.()
          release()
        }
      })
    })
    .openapi(clear, async (c) => {
      const pipeline = await scope.resolve(c)
      await pipeline.logs.clear()
      await audit(pipeline, settings, c, 'cleared the logs')
      return c.json({ success: true as const, message: 'Logs cleared successfully', timestamp: new Date().toISOString() }, 200)
    })
}

/** `data:` messages for `lines`, in writes of about SSE_WRITE_CHARS; a line never holds "\n", and a stray "\r" would split an SSE field. */
function* ssePieces(lines: string[]): Generator<string> {
  let piece = ''
  for (const l of lines) {
    piece += `data: ${l.replace(/\r/g, '')}\n\n`
    if (piece.length >= SSE_WRITE_CHARS) {
      yield piece
      piece = ''
    }
  }
  if (piece) yield piece
}
