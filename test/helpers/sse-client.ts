/** A live-stream client for the real-server suites: every comment and message of an event stream, parsed as the client parses it. */
import { expect } from 'vitest'
import { parseSse } from '../../src/client/sse.js'
import { waitFor } from './wait.js'

export type SseItem = { kind: 'comment'; text: string } | { kind: 'message'; event: string; data: string }

/** An SSE client over fetch: collects every comment and message until `close()`. */
export class SseClient {
  readonly items: SseItem[] = []
  ended = false
  error: unknown = null
  private readonly abort = new AbortController()
  private done: Promise<void> = Promise.resolve()

  static async open(url: string): Promise<SseClient> {
    const client = new SseClient()
    const res = await fetch(url, { signal: client.abort.signal, headers: { Accept: 'text/event-stream' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    client.done = client.pump(res.body!)
    return client
  }

  private async pump(body: ReadableStream<Uint8Array>) {
    try {
      const onComment = (text: string) => void this.items.push({ kind: 'comment', text })
      for await (const { event, data } of parseSse(body, { onComment })) this.items.push({ kind: 'message', event, data })
    } catch (err) {
      if (!this.abort.signal.aborted) this.error = err
    } finally {
      this.ended = true
    }
  }

  /** The data of every plain message (one log line each). */
  lines(): string[] {
    return this.items.flatMap((i) => (i.kind === 'message' && i.event === 'message' ? [i.data] : []))
  }

  waitFor<T>(check: (c: SseClient) => T, what: string, timeoutMs = 10_000) {
    return waitFor(() => check(this), { timeoutMs, intervalMs: 20, what })
  }

  /** Drops the connection (as a browser tab closing would) and waits for the reader to stop. */
  async close() {
    this.abort.abort()
    await this.done
  }
}
