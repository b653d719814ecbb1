import { createReadStream } from 'node:fs'
import { appendFile, mkdir, rm, truncate } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { LogStore } from '../../src/ports.js'
import { lastLines } from './read-backwards.js'

/** The API's view of the log file: read from the end, stream, clear, append audit lines. */
export function createFileLogStore(logFile: string, keep: number): LogStore {
  const logs: LogStore = {
    tail: (lines) => lastLines(logFile, lines),

    async *readAll() {
      const stream = createReadStream(logFile, { encoding: 'utf8', highWaterMark: 256 * 1024 })
      try {
        for await (const chunk of stream) yield chunk as string
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      } finally {
        stream.destroy()
      }
    },

    async clear() {
      // Truncate, never replace: the daemon holds the file open in append mode, so its next
      // write lands at offset 0 with no NUL padding and no line lost after the clear.
      await truncate(logFile, 0).catch(ignoreMissing)
      for (let i = 1; i <= keep; i++) await rm(`${logFile}.${i}`, { force: true })
    },

    async append(text) {
      await mkdir(dirname(logFile), { recursive: true })
      await appendFile(logFile, text)
    },
  }
  return logs
}

function ignoreMissing(err: NodeJS.ErrnoException) {
  if (err.code !== 'ENOENT') throw err
}
