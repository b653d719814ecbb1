/** The LogStore port on a Redis stream (see log-stream.ts): tail, read, clear and follow from any replica. */
import type { Redis } from 'ioredis'
import { createFollowQueue } from '../../src/follow-queue.js'
import type { LogEvent, LogStore } from '../../src/ports.js'
import { addLines, chunksOf, clearStream, entryLine, linesOf, PAGE, type StreamEntry } from './log-stream.js'

export interface RedisLogStoreOptions {
  maxLines: number
  /** How long one XREAD of a follower blocks before it looks at its signal again. */
  blockMs?: number
}

export function createRedisLogStore(redis: Redis, key: string, o: RedisLogStoreOptions): LogStore {
  const blockMs = o.blockMs ?? 5000

  /** The last `n` lines, oldest first, and the id of the newest entry read ('0-0' for none). */
  async function lastLines(n: number): Promise<{ lines: string[]; lastId: string }> {
    const pages: string[][] = []
    let have = 0
    let before = '+'
    let lastId: string | null = null
    while (have < n) {
      const entries = (await redis.xrevrange(key, before, '-', 'COUNT', Math.min(PAGE, n - have + 1))) as StreamEntry[]
      if (entries.length === 0) break
      lastId ??= entries[0]![0]
      const page: string[] = []
      let cleared = false
      for (const [, fields] of entries) {
        const line = entryLine(fields)
        // Nothing before a clear marker belongs to the current log.
        if (line === null) {
          cleared = true
          break
        }
        if (have + page.length < n) page.push(line)
      }
      pages.push(page.reverse())
      have += page.length
      if (cleared) break
      before = `(${entries[entries.length - 1]![0]}`
    }
    return { lines: pages.reverse().flat(), lastId: lastId ?? '0-0' }
  }

  async function* forward(): AsyncGenerator<string> {
    let from = '-'
    for (;;) {
      const entries = (await redis.xrange(key, from, '+', 'COUNT', PAGE)) as StreamEntry[]
      if (entries.length === 0) return
      const lines = entries.map(([, fields]) => entryLine(fields)).filter((l): l is string => l !== null)
      yield* chunksOf(lines)
      from = `(${entries[entries.length - 1]![0]}`
    }
  }

  return {
    async tail(lines) {
      return [...chunksOf((await lastLines(lines)).lines)].join('')
    },
    async *readLast(lines) {
      yield* chunksOf((await lastLines(lines)).lines)
    },
    readAll: forward,
    // The stream is what is retained (capped at maxLines): there are no rotated files.
    readRetained: forward,
    clear: () => clearStream(redis, key, o.maxLines),
    append: (text) => addLines(redis, key, o.maxLines, linesOf(text)),
    async *follow(lines, signal): AsyncGenerator<LogEvent> {
      const history = await lastLines(lines)
      const queue = createFollowQueue()
      queue.push({ type: 'lines', lines: history.lines })
      // XREAD BLOCK holds its connection: one per follower, closed when it ends.
      const reader = redis.duplicate()
      const pumping = pump(reader, key, history.lastId, blockMs, signal, (e) => queue.push(e))
      try {
        yield* queue.take(signal)
      } finally {
        reader.disconnect()
        await pumping
      }
    },
  }
}

/** Reads new entries as they come and hands them on, until `signal` aborts. */
async function pump(reader: Redis, key: string, afterId: string, blockMs: number, signal: AbortSignal, push: (e: LogEvent) => void) {
  let lastId = afterId
  const onAbort = () => reader.disconnect()
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    while (!signal.aborted) {
      let reply: [string, StreamEntry[]][] | null
      try {
        reply = (await reader.xread('COUNT', PAGE, 'BLOCK', blockMs, 'STREAMS', key, lastId)) as [string, StreamEntry[]][] | null
      } catch {
        // Redis restarting, or the reader closed: wait a moment and read on from the same id.
        if (!signal.aborted) await new Promise((r) => setTimeout(r, 200))
        continue
      }
      let lines: string[] = []
      for (const [id, fields] of reply?.[0]?.[1] ?? []) {
        lastId = id
        const line = entryLine(fields)
        if (line !== null) lines.push(line)
        else {
          if (lines.length) push({ type: 'lines', lines })
          lines = []
          push({ type: 'clear' })
        }
      }
      if (lines.length) push({ type: 'lines', lines })
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
