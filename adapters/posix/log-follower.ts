import { lstat, type FileHandle } from 'node:fs/promises'
import { MAX_QUEUED_BYTES } from '../../src/follow-queue.js'
import type { LogEvent } from '../../src/ports.js'
import { openNoFollow } from './no-follow.js'

export interface Subscription {
  /** Offset up to which the subscriber should read history itself; events cover what follows. */
  startOffset: number
  unsubscribe(): void
}

const READ_BLOCK = 256 * 1024
// Further behind than this, the poller counts lines instead of decoding them: every subscriber's
// queue (MAX_QUEUED_BYTES) would drop them anyway. Decoding a flood on a busy machine let the
// poller fall so far behind that rotated files were deleted before it opened them, their lines
// lost without being counted as missed.
const SKIP_AHEAD_BYTES = 8 * MAX_QUEUED_BYTES
// A poll that read this much polls again at once.
const BUSY_BYTES = MAX_QUEUED_BYTES

/**
 * One poller per log file, shared by every live stream: it runs only while someone listens,
 * follows the file across rotation (finishing the old file first) and reports truncation as a
 * `clear`. Polling, not fs.watch: it behaves the same on every file system and runtime.
 * A log deleted or moved away is followed into the new file the daemon then opens at the path.
 * A symlink at the path is never opened: a new subscription is refused, a live one sees no file.
 */
/** `keep`: how many rotated files (`.1` … `.keep`) the writer keeps. */
export function createLogFollower(logFile: string, pollMs = 200, keep = 5) {
  const subscribers = new Set<(e: LogEvent) => void>()
  let fh: FileHandle | null = null
  let ino = -1
  let pos = 0
  let carry: Buffer = Buffer.alloc(0)
  let timer: ReturnType<typeof setTimeout> | null = null
  // When the last poll began: a rotated file written after it was not seen by that poll.
  let lastPoll = Date.now()
  // The inode of the last file read to its end: rotated files newer than it were not read yet.
  let lastIno = -1
  // Bytes the last poll read: a poll that found a flood is followed by the next at once, since a
  // writer rotating every few tens of ms would otherwise delete files during the pause unread.
  let readInPoll = 0
  // Polls, subscriptions and resets run one at a time, so no line is read twice or skipped.
  let queue: Promise<unknown> = Promise.resolve()
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn)
    queue = next.catch(() => undefined)
    return next
  }

  const emit = (e: LogEvent) => {
    for (const s of subscribers) s(e)
  }

  async function openCurrent(): Promise<void> {
    try {
      fh = await openNoFollow(logFile, 'read')
      const st = await fh.stat()
      ino = st.ino
    } catch (err) {
      fh = null
      ino = -1
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw err
    }
  }

  async function closeCurrent() {
    if (fh) lastIno = ino
    await fh?.close().catch(() => undefined)
    fh = null
    ino = -1
  }

  /** The next block of the open file before `end`, from `pos` (which it moves on); null at the end. */
  async function nextBlock(end: number): Promise<Buffer | null> {
    if (!fh || pos >= end) return null
    const size = Math.min(READ_BLOCK, end - pos)
    const buf = Buffer.allocUnsafe(size)
    const { bytesRead } = await fh.read(buf, 0, size, pos)
    if (bytesRead === 0) return null
    pos += bytesRead
    readInPoll += bytesRead
    return buf.subarray(0, bytesRead)
  }

  /** Reads [pos, end) counting its lines, and emits their number as missed: the text is never decoded. */
  async function countTo(end: number) {
    let missed = 0
    for (let data = await nextBlock(end); data; data = await nextBlock(end)) {
      let last = -1
      for (let i = data.indexOf(0x0a); i !== -1; i = data.indexOf(0x0a, i + 1)) {
        missed++
        last = i
      }
      // The line still open at the end is decoded later, whole, from its start.
      carry = last === -1 ? Buffer.concat([carry, data]) : Buffer.from(data.subarray(last + 1))
    }
    if (missed > 0) emit({ type: 'missed', lines: missed })
  }

  /**
   * The bytes after the last "\n" before `end`: a line still being written. Kept as the carry,
   * it is delivered whole when its "\n" lands, and history stops before it.
   */
  async function unfinishedLine(end: number): Promise<Buffer> {
    if (!fh || end === 0) return Buffer.alloc(0)
    const from = Math.max(0, end - READ_BLOCK)
    const buf = Buffer.alloc(end - from)
    const { bytesRead } = await fh.read(buf, 0, buf.length, from)
    const data = buf.subarray(0, bytesRead)
    if (bytesRead < buf.length) return Buffer.alloc(0)
    const nl = data.lastIndexOf(0x0a)
    if (nl !== -1) return Buffer.from(data.subarray(nl + 1))
    // No newline in the file yet: all of it is the line being written. (A line longer than a
    // block is delivered from here on as it comes.)
    return from === 0 ? Buffer.from(data) : Buffer.alloc(0)
  }

  /** Reads [pos, end) of the open file and emits its whole lines; far behind, counts most of them as missed. */
  async function readTo(end: number) {
    if (end - pos > SKIP_AHEAD_BYTES) await countTo(end - MAX_QUEUED_BYTES)
    for (let block = await nextBlock(end); block; block = await nextBlock(end)) {
      const data = carry.length ? Buffer.concat([carry, block]) : block
      const lines: string[] = []
      let start = 0
      for (let i = data.indexOf(0x0a); i !== -1; i = data.indexOf(0x0a, start)) {
        lines.push(data.toString('utf8', start, i))
        start = i + 1
      }
      carry = Buffer.from(data.subarray(start))
      if (lines.length) emit({ type: 'lines', lines })
    }
  }

  /**
   * Handles on the rotated files (`.1`, `.2`, …) newer than the file with inode `old`, oldest
   * first, and on the current log. Only files written since the last poll qualify, so a removed
   * log never replays old ones. The writer may rotate during the scan (shifting every file up one
   * index): the scan is taken again until the current log kept its inode throughout. A name missing
   * in the middle is a rotation under way (`.1` is renamed to `.2` before the log becomes `.1`):
   * the scan goes on past it, or it would lose the files beyond it unread and uncounted.
   */
  async function snapshot(old: number, since: number): Promise<{ missed: FileHandle[]; current: FileHandle | null }> {
    for (let attempt = 0; ; attempt++) {
      const current = await openNoFollow(logFile, 'read').catch(() => null)
      const currentIno = current ? (await current.stat()).ino : -1
      const missed: FileHandle[] = []
      const seen = new Set<number>([currentIno])
      for (let k = 1; k <= Math.max(keep, 1); k++) {
        const h = await openNoFollow(`${logFile}.${k}`, 'read').catch(() => null)
        if (!h) continue
        const st = await h.stat()
        // mtime has coarse granularity on some file systems: allow a second of slack.
        if (st.ino === old || st.mtimeMs < since - 1000) {
          await h.close()
          break
        }
        if (seen.has(st.ino)) {
          await h.close()
          continue
        }
        seen.add(st.ino)
        missed.unshift(h)
      }
      const after = (await fileAt(logFile))?.ino ?? -1
      if (after === currentIno || attempt >= 20) return { missed, current }
      await Promise.all([...missed, ...(current ? [current] : [])].map((h) => h.close()))
    }
  }

  /** Streams the rotated files newer than the last file read (`lastIno`), oldest first, then opens the current log. */
  async function readMissedThenOpen(since: number) {
    // Scanned while the file read last is still open: a deleted file's inode is reused by the next
    // file created, and a newer file taken for the one read last was skipped, a whole file unread.
    const { missed, current } = await snapshot(fh ? ino : lastIno, since)
    await closeCurrent()
    for (const h of missed) {
      fh = h
      ino = (await fh.stat()).ino
      pos = 0
      carry = Buffer.alloc(0)
      await readTo((await fh.stat()).size)
      await closeCurrent()
    }
    fh = current
    ino = current ? (await current.stat()).ino : -1
    pos = 0
    carry = Buffer.alloc(0)
  }

  async function poll() {
    const since = lastPoll
    lastPoll = Date.now()
    readInPoll = 0
    const st = await fileAt(logFile)
    if (!fh && st) {
      // The log appeared since the last poll: it may already have rotated into files never opened.
      await readMissedThenOpen(since)
    }
    if (fh && (!st || st.ino !== ino)) {
      // Rotated (or removed): finish the old file through our handle, then move to the new one.
      // Several rotations between two polls: the files rotated after ours were never opened.
      await readTo((await fh.stat()).size)
      await readMissedThenOpen(since)
    } else if (fh && st && st.size < pos) {
      pos = 0
      carry = Buffer.alloc(0)
      emit({ type: 'clear' })
    }
    if (fh) await readTo((await fh.stat()).size)
  }

  function schedule() {
    if (timer || subscribers.size === 0) return
    timer = setTimeout(() => {
      timer = null
      void serial(poll).finally(schedule)
    }, readInPoll >= BUSY_BYTES ? 0 : pollMs)
  }

  return {
    subscribe(onEvent: (e: LogEvent) => void): Promise<Subscription> {
      return serial(async () => {
        if (subscribers.size === 0) {
          lastPoll = Date.now()
          await openCurrent()
          pos = fh ? (await fh.stat()).size : 0
          carry = await unfinishedLine(pos)
        }
        subscribers.add(onEvent)
        schedule()
        return {
          // A partial last line is not history yet: it arrives whole as an event.
          startOffset: pos - carry.length,
          unsubscribe: () => {
            subscribers.delete(onEvent)
            if (subscribers.size === 0) {
              if (timer) clearTimeout(timer)
              timer = null
              void serial(closeCurrent)
            }
          },
        }
      })
    },
    /**
     * Runs `truncate` (the API clearing the log) between polls, then tells the listeners at once;
     * a poll in between would otherwise report the same clear a second time.
     */
    clearWith(truncate: () => Promise<void>): Promise<void> {
      return serial(async () => {
        await truncate()
        if (subscribers.size === 0) return
        pos = 0
        carry = Buffer.alloc(0)
        emit({ type: 'clear' })
      })
    },
    /** Live subscribers and whether the poll timer or a file handle is held (for leak tests). */
    stats: () => ({ subscribers: subscribers.size, timer: timer !== null, open: fh !== null }),
  }
}

/** The file at `path` (not followed: a symlink there counts as no file), or null. */
async function fileAt(path: string): Promise<{ ino: number; size: number } | null> {
  const st = await lstat(path).catch(() => null)
  return st && !st.isSymbolicLink() ? st : null
}
