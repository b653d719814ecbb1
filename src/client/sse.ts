/** One Server-Sent Events message (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
export interface SseMessage {
  /** The `event:` field; "message" when the server sent none. */
  event: string
  /** The `data:` fields, joined with "\n". */
  data: string
  id: string | null
}

/**
 * Parses an event stream into messages, as the EventSource algorithm does: lines end in "\n",
 * "\r\n" or "\r"; a blank line dispatches; `:` lines are comments (heartbeats) and are skipped;
 * unlike EventSource, a named event without `data:` (e.g. a bare `event: clear`) is dispatched too.
 * `onComment` sees each comment's text (`: heartbeat` gives "heartbeat"), for a caller that
 * watches the connection itself.
 */
export async function* parseSse(body: ReadableStream<Uint8Array>, options: { onComment?(text: string): void } = {}): AsyncGenerator<SseMessage> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  let event = ''
  let data: string[] = []
  let hasData = false
  let id: string | null = null
  try {
    for (;;) {
      const { done, value } = await reader.read()
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true })
      // A trailing "\r" may be the first half of "\r\n": keep it until the next chunk.
      for (;;) {
        const end = buffer.search(/\r\n|\r|\n/)
        if (end === -1 || (!done && end === buffer.length - 1 && buffer[end] === '\r')) break
        const line = buffer.slice(0, end)
        buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1))
        if (line === '') {
          if (hasData || event) yield { event: event || 'message', data: data.join('\n'), id }
          event = ''
          data = []
          hasData = false
          continue
        }
        if (line.startsWith(':')) {
          options.onComment?.(line.slice(line.startsWith(': ') ? 2 : 1))
          continue
        }
        const colon = line.indexOf(':')
        const field = colon === -1 ? line : line.slice(0, colon)
        let value = colon === -1 ? '' : line.slice(colon + 1)
        if (value.startsWith(' ')) value = value.slice(1)
        if (field === 'data') {
          data.push(value)
          hasData = true
        } else if (field === 'event') event = value
        else if (field === 'id' && !value.includes('\0')) id = value
      }
      if (done) return
    }
  } finally {
    // Leaving early (break, return, error) cancels the response body: the server sees the client go.
    await reader.cancel().catch(() => undefined)
  }
}
