import type { FileHandle } from 'node:fs/promises'
import { openNoFollow } from './no-follow.js'

const BLOCK = 64 * 1024

/**
 * Yields the lines of a file from the last to the first (without "\n"), reading 64 KiB blocks
 * from the end, so the cost of reading the last N lines does not grow with the file.
 * A missing file yields nothing; a symlink is refused. A file that shrinks while it is read
 * (cleared) ends the lines early.
 */
export async function* linesFromEnd(path: string, endOffset?: number): AsyncGenerator<Buffer> {
  const file = await openNoFollow(path, 'read').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null
    throw err
  })
  if (!file) return
  try {
    let pos = Math.min((await file.stat()).size, endOffset ?? Number.MAX_SAFE_INTEGER)
    if (endOffset === undefined) pos = await wholeLineEnd(file, pos)
    let carry: Buffer = Buffer.alloc(0)
    let first = true
    let any = false
    while (pos > 0) {
      const size = Math.min(BLOCK, pos)
      pos -= size
      const block = Buffer.allocUnsafe(size)
      const { bytesRead } = await file.read(block, 0, size, pos)
      // Truncated meanwhile (a clear): the rest of the block would be uninitialised memory.
      if (bytesRead < size) return
      let buf = carry.length ? Buffer.concat([block, carry]) : block
      // A final "\n" ends the last line; it does not start an empty one.
      if (first) {
        first = false
        if (buf.length && buf[buf.length - 1] === 0x0a) buf = buf.subarray(0, buf.length - 1)
      }
      if (buf.length) any = true
      let end = buf.length
      for (let i = end - 1; i >= 0; i--) {
        if (buf[i] === 0x0a) {
          yield buf.subarray(i + 1, end)
          end = i
        }
      }
      carry = Buffer.from(buf.subarray(0, end))
    }
    // What is left before the first "\n" is the file's first line (possibly empty).
    if (any) yield carry
  } finally {
    await file.close()
  }
}

/**
 * Where the last whole line ends. A write that lands while we read shows up in part (the size
 * grows page by page), tearing the last line: when the file does not end in "\n" but has grown
 * since, extend to the end of that line. A file that simply ends without one is left as it is.
 */
async function wholeLineEnd(file: FileHandle, size: number): Promise<number> {
  if (size === 0) return size
  const last = Buffer.alloc(1)
  await file.read(last, 0, 1, size - 1)
  if (last[0] === 0x0a) return size
  for (let attempt = 0; attempt < 2; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 5))
    const now = (await file.stat()).size
    if (now <= size) continue
    const extra = Buffer.alloc(Math.min(now - size, 64 * 1024))
    const { bytesRead } = await file.read(extra, 0, extra.length, size)
    const nl = extra.subarray(0, bytesRead).indexOf(0x0a)
    if (nl !== -1) return size + nl + 1
  }
  return size
}

/** The last `n` lines of a file as text, each followed by "\n". */
export async function lastLines(path: string, n: number, endOffset?: number): Promise<string> {
  const lines: Buffer[] = []
  for await (const line of linesFromEnd(path, endOffset)) {
    lines.push(line)
    if (lines.length >= n) break
  }
  if (lines.length === 0) return ''
  lines.reverse()
  const parts: Buffer[] = []
  for (const l of lines) parts.push(l, NEWLINE)
  return Buffer.concat(parts).toString('utf8')
}

const NEWLINE = Buffer.from('\n')
