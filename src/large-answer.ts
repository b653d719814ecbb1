import type { Context, TypedResponse } from 'hono'
import type { ResponseFormat } from 'hono/types'
import type { Slots } from './answer-slots.js'
import { ApiError } from './errors.js'

/**
 * Large answers in flight at once (`logs`, `logs?lines`, `logs/tail`, `runs/{id}/logs`). Each
 * holds about two 64 KiB chunks while its client reads, so 32 cost a few MB; 30 clients that
 * never read used to cost 4 GB. An answer of one chunk needs no slot.
 */
export const MAX_LARGE_ANSWERS = 32

/** How an answer's text chunks become its body: a `T` in hono's format `F` (what the route's document says). */
export interface BodyFormat<T = unknown, F extends ResponseFormat = ResponseFormat> {
  /** Only for the type: the body the chunks make. */
  readonly body?: { format: F; value: T }
  contentType: string
  head: string
  chunk(text: string): string
  tail(): string
}

/** `{"logs": "...", "line_count": N}`, the same bytes as JSON.stringify; N counts lines as readlines() does. */
export function logsJson(): BodyFormat<{ logs: string; line_count: number }, 'json'> {
  let newlines = 0
  let last = ''
  return {
    contentType: 'application/json; charset=utf-8',
    head: '{"logs":"',
    chunk(text) {
      if (text.length === 0) return ''
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) newlines++
      last = text[text.length - 1]!
      // Chunks never split a character, so the pieces join into exactly JSON.stringify(whole).
      return JSON.stringify(text).slice(1, -1)
    },
    tail: () => `","line_count":${last === '' ? 0 : last === '\n' ? newlines : newlines + 1}}`,
  }
}

/** The text as it is. */
export function plainText(): BodyFormat<string, 'text'> {
  return { contentType: 'text/plain; charset=UTF-8', head: '', chunk: (text) => text, tail: () => '' }
}

/**
 * Answers 200 with `chunks` in `format`. An answer of one chunk goes out at once. A larger one
 * streams: the next chunk is read only when the client has taken the last (pull), and it holds
 * one of `slots` until it ends or the client goes; with every slot taken the answer is 503.
 */
export async function largeAnswer<T, F extends ResponseFormat>(
  c: Context,
  chunks: AsyncIterable<string>,
  format: BodyFormat<T, F>,
  slots: Slots,
): Promise<Response & TypedResponse<T, 200, F>> {
  const it = chunks[Symbol.asyncIterator]()
  const headers = { 'Content-Type': format.contentType }
  // The runtimes drop a HEAD answer's body without reading or cancelling it: never start one.
  if (c.req.method === 'HEAD') {
    await it.return?.()
    return typed(c.body(null, 200, headers))
  }
  const first = await it.next()
  const second = first.done ? first : await it.next()
  if (second.done) return typed(c.body(format.head + (first.done ? '' : format.chunk(first.value)) + format.tail(), 200, headers))
  const release = slots.tryTake()
  if (!release) {
    await it.return?.()
    throw new ApiError(503, `Too many large answers in flight (${slots.max}); try again in a moment`, { 'Retry-After': '1' })
  }
  const encoder = new TextEncoder()
  const waiting = [format.head + format.chunk(first.value), format.chunk(second.value)]
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const ready = waiting.shift()
        if (ready !== undefined) return controller.enqueue(encoder.encode(ready))
        const next = await it.next()
        if (!next.done) return controller.enqueue(encoder.encode(format.chunk(next.value)))
        controller.enqueue(encoder.encode(format.tail()))
        controller.close()
        release()
      } catch (err) {
        release()
        throw err
      }
    },
    async cancel() {
      release()
      await it.return?.()
    },
  })
  return typed(c.body(body, 200, headers))

  // hono's TypedResponse is a compile-time brand with no runtime field: the bytes are the T `format` writes.
  function typed(res: Response) {
    return res as Response & TypedResponse<T, 200, F>
  }
}
