import { describe, expect, it } from 'vitest'
import { parseSse, type SseMessage } from '../../src/client/sse.js'

/** A body that delivers `chunks` one read at a time, as a network would. */
function body(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  return new ReadableStream({
    pull(controller) {
      const next = chunks.shift()
      if (next === undefined) controller.close()
      else controller.enqueue(encoder.encode(next))
    },
  })
}

async function parse(chunks: string[]): Promise<SseMessage[]> {
  const out: SseMessage[] = []
  for await (const m of parseSse(body(chunks))) out.push(m)
  return out
}

describe('parseSse', () => {
  it('yields one message per blank-line-terminated block, skipping comment heartbeats', async () => {
    const messages = await parse([': connected\n\n', 'data: [2025-12-26 10:30:45] a\n\n', ': heartbeat\n\n', 'data: b\n\n'])
    expect(messages).toEqual([
      { event: 'message', data: '[2025-12-26 10:30:45] a', id: null },
      { event: 'message', data: 'b', id: null },
    ])
  })

  it('hands each comment to onComment without its colon and space - connected and heartbeat', async () => {
    const comments: string[] = []
    const out: SseMessage[] = []
    for await (const m of parseSse(body([': connected\n\n', 'data: a\n\n:heartbeat\n\n']), { onComment: (text) => comments.push(text) })) out.push(m)
    expect(comments).toEqual(['connected', 'heartbeat'])
    expect(out).toEqual([{ event: 'message', data: 'a', id: null }])
  })

  it('reassembles lines and UTF-8 characters split across chunks', async () => {
    const euro = new TextEncoder().encode('data: 5 €\n\n')
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(euro.slice(0, 9)) // cuts the 3-byte "€" in two
        controller.enqueue(euro.slice(9))
        controller.close()
      },
    })
    const out: SseMessage[] = []
    for await (const m of parseSse(stream)) out.push(m)
    expect(out.map((m) => m.data)).toEqual(['5 €'])
    expect((await parse(['da', 'ta: he', 'llo\n', '\n'])).map((m) => m.data)).toEqual(['hello'])
  })

  it('accepts CRLF and CR line endings, even with CRLF split between chunks', async () => {
    expect((await parse(['data: a\r\n\r\ndata: b\r\rdata: c\r', '\n\r\n'])).map((m) => m.data)).toEqual(['a', 'b', 'c'])
  })

  it('reports a named event such as clear, with or without data', async () => {
    const messages = await parse(['event: clear\ndata: \n\n', 'event: clear\n\n', 'data: after\n\n'])
    expect(messages.map((m) => [m.event, m.data])).toEqual([
      ['clear', ''],
      ['clear', ''],
      ['message', 'after'],
    ])
  })

  it('joins several data fields with a newline and keeps the last id', async () => {
    expect(await parse(['id: 7\ndata: one\ndata:two\n\n'])).toEqual([{ event: 'message', data: 'one\ntwo', id: '7' }])
  })

  it('drops an unterminated last block when the stream ends', async () => {
    expect(await parse(['data: whole\n\ndata: partial'])).toEqual([{ event: 'message', data: 'whole', id: null }])
  })

  it('cancels the body when the consumer stops early', async () => {
    let cancelled = false
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: x\n\n'))
      },
      cancel() {
        cancelled = true
      },
    })
    for await (const _ of parseSse(stream)) break
    expect(cancelled).toBe(true)
  })
})
