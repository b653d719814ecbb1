import { mkdir, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { createFollowQueue } from '../../src/follow-queue.js'
import type { LogEvent, LogStore } from '../../src/ports.js'
import { createLogFollower } from './log-follower.js'
import { openNoFollow, refuseSymlink } from './no-follow.js'
import { lastLines, lastLinesInChunks } from './read-backwards.js'

/**
 * The API's view of the log file: read from the end, stream, follow, clear, append audit lines.
 * None of them follows a symlink at the log's path (they answer its refusal instead).
 */
export function createFileLogStore(logFile: string, keep: number, opts: { pollMs?: number } = {}) {
  const follower = createLogFollower(logFile, opts.pollMs, keep)

  const logs: LogStore = {
    tail: (lines) => lastLines(logFile, lines),

    readLast: (lines) => lastLinesInChunks(logFile, lines),

    readAll: () => readText(logFile),

    async *readRetained() {
      for (let i = keep; i >= 1; i--) yield* readText(`${logFile}.${i}`)
      yield* readText(logFile)
    },

    async clear() {
      // Truncate, never replace: the daemon holds the file open in append mode, so its next
      // write lands at offset 0 with no NUL padding and no line lost after the clear.
      await follower.clearWith(async () => {
        // Refused before anything is deleted, so a refused clear leaves the rotated files too.
        refuseSymlink(logFile)
        // Rotated files first: were the current file truncated first, a rotation in between
        // would move lines written after the clear to `.1`, and the clear would delete them.
        for (let i = 1; i <= keep; i++) await rm(`${logFile}.${i}`, { force: true })
        const fh = await openNoFollow(logFile, 'write').catch(ignoreMissing)
        try {
          await fh?.truncate(0)
        } finally {
          await fh?.close()
        }
      })
    },

    async append(text) {
      await mkdir(dirname(logFile), { recursive: true })
      const fh = await openNoFollow(logFile, 'append')
      try {
        await fh.appendFile(text)
      } finally {
        await fh.close()
      }
    },

    follow(lines, signal) {
      return follow(lines, signal)
    },
  }

  async function* follow(lines: number, signal: AbortSignal): AsyncGenerator<LogEvent> {
    if (signal.aborted) return
    const queue = createFollowQueue()
    const sub = await follower.subscribe((e) => queue.push(e))
    try {
      // Always yielded, even empty: it tells the consumer the subscription is live.
      let sent = false
      for await (const chunk of lastLinesInChunks(logFile, lines, sub.startOffset)) {
        if (signal.aborted) return
        sent = true
        yield { type: 'lines', lines: chunk.slice(0, -1).split('\n') }
      }
      if (!sent) yield { type: 'lines', lines: [] }
      yield* queue.take(signal)
    } finally {
      sub.unsubscribe()
    }
  }

  return Object.assign(logs, { followerStats: follower.stats })
}

async function* readText(file: string): AsyncGenerator<string> {
  // 64 KiB, not 256: each chunk becomes a JSON string in one go, and 256 KiB strings made the
  // full-log download 2-3x slower and held other requests ~10 ms each (BENCHMARKS.md).
  const fh = await openNoFollow(file, 'read').catch(ignoreMissing)
  if (!fh) return
  const stream = fh.createReadStream({ encoding: 'utf8', highWaterMark: 64 * 1024 })
  try {
    for await (const chunk of stream) yield chunk as string
  } finally {
    // autoClose: destroying the stream closes the handle.
    stream.destroy()
  }
}

function ignoreMissing(err: NodeJS.ErrnoException): null {
  if (err.code !== 'ENOENT') throw err
  return null
}
