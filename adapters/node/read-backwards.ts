import { open } from 'node:fs/promises'

const BLOCK = 64 * 1024

/**
 * Yields the lines of a file from the last to the first (without "\n"), reading 64 KiB blocks
 * from the end, so the cost of reading the last N lines does not grow with the file.
 * A missing file yields nothing. A last line without its "\n" is being written right now and
 * is left out; a file that shrinks while it is read (cleared) ends the lines early.
 */
export async function* linesFromEnd(path: string, endOffset?: number): AsyncGenerator<Buffer> {
  const file = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null
    throw err
  })
  if (!file) return
  try {
    let pos = Math.min((await file.stat()).size, endOffset ?? Number.MAX_SAFE_INTEGER)
    let carry: Buffer = Buffer.alloc(0)
    let first = true
    let any = false
    // A concurrent write may have landed only in part: its unterminated tail is not a line yet.
    let partial = false
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
        else partial = buf.length > 0
      }
      if (buf.length) any = true
      let end = buf.length
      for (let i = end - 1; i >= 0; i--) {
        if (buf[i] === 0x0a) {
          if (partial) partial = false
          else yield buf.subarray(i + 1, end)
          end = i
        }
      }
      carry = Buffer.from(buf.subarray(0, end))
    }
    // What is left before the first "\n" is the file's first line (possibly empty).
    if (any && !partial) yield carry
  } finally {
    await file.close()
  }
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
