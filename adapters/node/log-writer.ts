import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { formatLine } from '../../src/log-line.js'
import type { LogWriter } from '../../src/ports.js'

/**
 * The daemon's log: opened in append mode (so truncation by a clear never leaves NUL padding)
 * and rotated by size to `.1` … `.keep`. Writes are whole lines, so no reader sees a torn line.
 */
export function createFileLogWriter(logFile: string, maxBytes: number, keep: number): LogWriter {
  mkdirSync(dirname(logFile), { recursive: true })
  let fd = openSync(logFile, 'a')
  // Bytes written since the size was last read; a clear may have shrunk the file meanwhile.
  let approx = fstatSync(fd).size

  function rotate() {
    closeSync(fd)
    if (keep === 0) rmSync(logFile, { force: true })
    else {
      rmSync(`${logFile}.${keep}`, { force: true })
      for (let i = keep - 1; i >= 1; i--) renameIfExists(`${logFile}.${i}`, `${logFile}.${i + 1}`)
      renameIfExists(logFile, `${logFile}.1`)
    }
    fd = openSync(logFile, 'a')
    approx = 0
  }

  let closed = false
  let dropped = 0
  // A write that failed part-way left an unterminated line in the file.
  let torn = false
  const writer: LogWriter = {
    append(text) {
      if (closed) return
      try {
        if (dropped) {
          // The disk had no room for a while: end any line cut short, then say what is missing.
          writeAll(`${torn ? '\n' : ''}${formatLine(`Warning: ${dropped} bytes of log output were lost: the log could not be written`, new Date())}`)
          dropped = 0
          torn = false
        }
        writeAll(text)
        if (approx >= maxBytes) {
          approx = fstatSync(fd).size
          if (approx >= maxBytes) rotate()
        }
      } catch {
        // A full disk must not kill the daemon mid-run; the loss is reported once writes work again.
        dropped += Buffer.byteLength(text)
      }
    },
    reopen() {
      if (closed) return
      closeSync(fd)
      fd = openSync(logFile, 'a')
      approx = fstatSync(fd).size
    },
    close() {
      if (closed) return
      closed = true
      closeSync(fd)
    },
  }

  function writeAll(text: string) {
    const bytes = Buffer.from(text, 'utf8')
    let off = 0
    try {
      while (off < bytes.length) off += writeSync(fd, bytes, off)
    } catch (err) {
      if (off > 0) torn = true
      throw err
    }
    approx += bytes.length
  }
  return writer
}

function renameIfExists(from: string, to: string) {
  try {
    renameSync(from, to)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}
