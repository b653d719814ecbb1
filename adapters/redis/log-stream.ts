/**
 * A pipeline's log as a Redis stream, one entry per line (`l`), capped at `maxLines` with
 * `XADD … MAXLEN ~`. A clear trims the stream to nothing and adds a marker entry (`c`), so a
 * follower blocked in XREAD sees the clear in order with the lines, and entry ids keep growing.
 */
import type { Redis } from 'ioredis'
import type { LogWriter } from '../../src/ports.js'

/** Lines per XADD script call: one call keeps a batch in order and costs one round trip. */
const LINES_PER_CALL = 5000
/** Entries per read when paging through the stream. */
export const PAGE = 2000
/** Text per chunk handed to a reader (the large-answer routes stream them). */
const CHUNK_CHARS = 64 * 1024

const ADD_LINES = `
for i = 2, #ARGV do redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'l', ARGV[i]) end
return #ARGV - 1`

const CLEAR = `
redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'c', '1')
return 1`

export type StreamEntry = [id: string, fields: string[]]

/** The lines of `text` (a last line without "\n" is a line too). */
export function linesOf(text: string): string[] {
  if (text === '') return []
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

/** Appends lines in one ordered call per batch; resolves when Redis has them. */
export async function addLines(redis: Redis, key: string, maxLines: number, lines: string[]): Promise<void> {
  for (let i = 0; i < lines.length; i += LINES_PER_CALL) {
    await redis.eval(ADD_LINES, 1, key, String(maxLines), ...lines.slice(i, i + LINES_PER_CALL))
  }
}

export async function clearStream(redis: Redis, key: string, maxLines: number): Promise<void> {
  await redis.eval(CLEAR, 1, key, String(maxLines))
}

/**
 * The worker's side of the log. `append` returns at once, as the port asks; the calls go out on
 * one connection in order. While Redis is away they wait in the connection's queue.
 */
export function createRedisLogWriter(redis: Redis, key: string, maxLines: number, onError: (err: Error) => void = reportOnce()): LogWriter {
  return {
    append(text) {
      const lines = linesOf(text)
      if (lines.length === 0) return
      for (let i = 0; i < lines.length; i += LINES_PER_CALL) {
        redis.eval(ADD_LINES, 1, key, String(maxLines), ...lines.slice(i, i + LINES_PER_CALL)).catch(onError)
      }
    },
    close() {
      // The connection is shared by every pipeline of the worker: the worker closes it.
    },
  }
}

/** `l` entries as lines; a clear marker (`c`) as null. */
export function entryLine(fields: string[]): string | null {
  return fields[0] === 'l' ? (fields[1] ?? '') : null
}

/** Whole lines joined into chunks of about CHUNK_CHARS, each ending in "\n". */
export function* chunksOf(lines: string[]): Generator<string> {
  let chunk = ''
  for (const line of lines) {
    chunk += line + '\n'
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk
      chunk = ''
    }
  }
  if (chunk) yield chunk
}

function reportOnce() {
  let reported = false
  return (err: Error) => {
    if (reported) return
    reported = true
    console.error(`pipeline-cron: could not write log lines to Redis (${err.message}); lines are lost until it accepts them again`)
  }
}
