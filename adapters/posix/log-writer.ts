import { closeSync, fstatSync, lstatSync, mkdirSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { formatLine } from '../../src/log-line.js'
import type { LogWriter } from '../../src/ports.js'
import { openNoFollowSync } from './no-follow.js'

// How often, at most, a write checks that the path still names the file held open: one lstat.
const PATH_CHECK_MS = 1000

export interface FileLogWriter extends LogWriter {
  /** Opens the path afresh (SIGHUP, as nginx and syslog do) and logs one line saying why. */
  reopen(reason: string): void
}

/**
 * The daemon's log: opened in append mode (so truncation by a clear never leaves NUL padding)
 * and rotated by size to `.1` … `.keep`. Writes are whole lines, so no reader sees a torn line.
 * A log deleted or moved away by someone else (logrotate without copytruncate) is noticed at
 * the next write a second later at most, and reopened by path, so readers see new lines again.
 */
export function createFileLogWriter(logFile: string, maxBytes: number, keep: number): FileLogWriter {
  mkdirSync(dirname(logFile), { recursive: true })
  let fd = openLog()
  let held = fstatSync(fd)
  // Bytes written since the size was last read; a clear may have shrunk the file meanwhile.
  let approx = held.size
  let checkedAt = Date.now()
  let closed = false
  let dropped = 0
  // A write that failed part-way left an unterminated line in the file.
  let torn = false
  // The last reopen failure reported, so a path that stays unusable is reported once.
  let reopenFailure: string | null = null

  function openLog() {
    return openNoFollowSync(logFile, 'append')
  }

  /** Moves to a new file at the path; the old handle is closed only once the new one is open. */
  function switchFile() {
    const next = openLog()
    closeSync(fd)
    fd = next
    held = fstatSync(fd)
    approx = held.size
    reopenFailure = null
  }

  function rotate() {
    try {
      if (keep === 0) rmSync(logFile, { force: true })
      else {
        rmSync(`${logFile}.${keep}`, { force: true })
        for (let i = keep - 1; i >= 1; i--) renameIfExists(`${logFile}.${i}`, `${logFile}.${i + 1}`)
        renameIfExists(logFile, `${logFile}.1`)
      }
      switchFile()
    } catch (err) {
      // Writing on to the file held beats losing lines; the next try comes after another maxBytes.
      approx = 0
      reportReopenFailure(err)
    }
  }

  /** True when the path is gone or names another file than the one held. */
  function pathMoved(): boolean {
    try {
      const st = lstatSync(logFile)
      return st.ino !== held.ino || st.dev !== held.dev
    } catch (err) {
      // Any other error (the folder unreadable) says nothing about the file: keep writing.
      return (err as NodeJS.ErrnoException).code === 'ENOENT'
    }
  }

  function reopenWith(notice: string) {
    try {
      switchFile()
    } catch (err) {
      reportReopenFailure(err)
      return
    }
    writeNotice(formatLine(`${notice} ${logFile}`, new Date()))
  }

  /** A symlink planted at the path or a full disk: lines go on into the file still open, said once. */
  function reportReopenFailure(err: unknown) {
    const why = (err as Error).message
    if (why === reopenFailure) return
    reopenFailure = why
    writeNotice(formatLine(`Warning: could not reopen the log file ${logFile} (${why}); writing on to the file already open`, new Date()))
  }

  function writeNotice(line: string) {
    try {
      writeAll(line)
    } catch {
      dropped += Buffer.byteLength(line)
    }
  }

  const writer: FileLogWriter = {
    append(text) {
      if (closed) return
      const now = Date.now()
      if (now - checkedAt >= PATH_CHECK_MS) {
        checkedAt = now
        if (pathMoved()) reopenWith('Log file was moved or deleted; reopened')
      }
      try {
        if (dropped) {
          // The disk had no room for a while: end any line cut short, then say what is missing.
          writeAll(`${torn ? '\n' : ''}${formatLine(`Warning: ${dropped} bytes of log output were lost: the log could not be written`, new Date())}`)
          dropped = 0
          torn = false
        }
        writeRotating(Buffer.from(text, 'utf8'))
      } catch {
        // A full disk must not kill the daemon mid-run; the loss is reported once writes work again.
        dropped += Buffer.byteLength(text)
      }
    },
    reopen(reason) {
      if (closed) return
      checkedAt = Date.now()
      reopenWith(`Log file reopened on ${reason}:`)
    },
    close() {
      if (closed) return
      closed = true
      closeSync(fd)
    },
  }

  /**
   * Writes whole lines, rotating first when they would carry the file past maxBytes: a batch of
   * lines is split at a line end, so a rotated file is over the limit only when it holds a single
   * line longer than the limit (rotating after the write let a 6.5 KB batch leave a 6.5 KB `.1`
   * under a 2000-byte limit).
   */
  function writeRotating(bytes: Buffer) {
    let rest = bytes
    while (approx + rest.length > maxBytes) {
      // approx only grows between stats; a clear may have emptied the file since.
      if (approx > 0) approx = fstatSync(fd).size
      if (approx + rest.length <= maxBytes) break
      const room = maxBytes - approx
      let cut = room > 0 ? rest.lastIndexOf(0x0a, room - 1) + 1 : 0
      // An empty file takes at least one line, however long, so every turn writes something.
      if (cut === 0 && approx === 0) cut = rest.indexOf(0x0a) + 1 || rest.length
      if (cut > 0) {
        writeAll(rest.subarray(0, cut))
        rest = rest.subarray(cut)
      }
      if (rest.length === 0) break
      rotate()
      // A new file someone else already wrote to takes the rest; a failed rotation leaves approx 0.
      if (approx > 0) break
    }
    if (rest.length) writeAll(rest)
    // A line longer than the limit fills a file alone; the next write starts a new one.
    if (approx >= maxBytes) {
      approx = fstatSync(fd).size
      if (approx >= maxBytes) rotate()
    }
  }

  function writeAll(text: string | Buffer) {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text
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
