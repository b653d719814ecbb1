import { createFollowQueue } from '../../src/follow-queue.js'
import type { LogEvent, LogStore, LogWriter } from '../../src/ports.js'

/**
 * The in-memory stand-in for the log file, shared by the API's LogStore and the daemon's
 * LogWriter. Change it through `writeLog`/`clearLog` so followers hear about it.
 */
export interface MemoryLogFile {
  text: string
  /** Rotated files, newest first: `rotated[0]` is `.1`. */
  rotated: string[]
  readonly listeners: Set<(e: { type: 'append'; text: string } | { type: 'clear' }) => void>
}

export function createMemoryLogFile(text = ''): MemoryLogFile {
  return { text, rotated: [], listeners: new Set() }
}

export function writeLog(file: MemoryLogFile, text: string) {
  file.text += text
  for (const l of file.listeners) l({ type: 'append', text })
}

export function clearLog(file: MemoryLogFile) {
  file.text = ''
  file.rotated = []
  for (const l of file.listeners) l({ type: 'clear' })
}

/**
 * The API's side of the log over a MemoryLogFile. `readAll` yields chunks of `chunkSize`
 * characters (never splitting a surrogate pair), so readers meet lines split across chunks
 * as they do with the file store.
 */
export function createMemoryLogStore(file: MemoryLogFile = createMemoryLogFile(), chunkSize = 16 * 1024): LogStore {
  const logs: LogStore = {
    async tail(lines) {
      return lastLines(file.text, lines)
    },
    readLast: (lines) => wholeLineChunks(lastLines(file.text, lines), chunkSize),
    readAll: () => chunks(file.text, chunkSize),
    async *readRetained() {
      for (const old of [...file.rotated].reverse()) yield* chunks(old, chunkSize)
      yield* chunks(file.text, chunkSize)
    },
    async clear() {
      clearLog(file)
    },
    async append(text) {
      writeLog(file, text)
    },
    follow: (lines, signal) => follow(file, lines, signal),
  }
  return logs
}

/**
 * The daemon's side: appends to the MemoryLogFile, rotating by size to `rotated` (`.1` … `.keep`)
 * as the file writer does. After `close`, appends are dropped as the file writer drops them, and
 * kept in `afterClose` so a test can tell that nothing was written too late.
 */
export function createMemoryLogWriter(
  file: MemoryLogFile,
  o: { maxBytes?: number; keep?: number } = {},
): LogWriter & { readonly closed: boolean; readonly afterClose: string[] } {
  const maxBytes = o.maxBytes ?? Infinity
  const keep = o.keep ?? 5
  const afterClose: string[] = []
  let closed = false
  return {
    get closed() {
      return closed
    },
    afterClose,
    append(text) {
      if (closed) return void afterClose.push(text)
      writeLog(file, text)
      if (Number.isFinite(maxBytes) && bytes(file.text) >= maxBytes) {
        file.rotated = [file.text, ...file.rotated].slice(0, keep)
        file.text = ''
      }
    },
    close() {
      closed = true
    },
  }
}

const encoder = new TextEncoder()
const bytes = (text: string) => encoder.encode(text).length

function lastLines(text: string, n: number): string {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text
  if (body.length === 0) return ''
  return body
    .split('\n')
    .slice(-n)
    .map((l) => `${l}\n`)
    .join('')
}

async function* chunks(text: string, size: number): AsyncGenerator<string> {
  let i = 0
  while (i < text.length) {
    let end = Math.min(i + size, text.length)
    const code = text.charCodeAt(end - 1)
    if (end < text.length && code >= 0xd800 && code <= 0xdbff) end++
    yield text.slice(i, end)
    i = end
  }
}

/** `text` (whole lines) in chunks of about `size` characters, each ending in "\n". */
async function* wholeLineChunks(text: string, size: number): AsyncGenerator<string> {
  let i = 0
  while (i < text.length) {
    const nl = text.indexOf('\n', Math.min(i + size, text.length) - 1)
    const end = nl === -1 ? text.length : nl + 1
    yield text.slice(i, end)
    i = end
  }
}

async function* follow(file: MemoryLogFile, lines: number, signal: AbortSignal): AsyncGenerator<LogEvent> {
  if (signal.aborted) return
  const queue = createFollowQueue()
  // A partial last line is not a line yet: it is held until its "\n" comes.
  const lastNl = file.text.lastIndexOf('\n')
  let carry = file.text.slice(lastNl + 1)
  const history = lastLines(file.text.slice(0, lastNl + 1), lines)
  const listener = (e: { type: 'append'; text: string } | { type: 'clear' }) => {
    if (e.type === 'clear') {
      carry = ''
      queue.push({ type: 'clear' })
    } else {
      const parts = (carry + e.text).split('\n')
      carry = parts.pop() ?? ''
      if (parts.length) queue.push({ type: 'lines', lines: parts })
    }
  }
  file.listeners.add(listener)
  try {
    yield { type: 'lines', lines: history ? history.slice(0, -1).split('\n') : [] }
    yield* queue.take(signal)
  } finally {
    file.listeners.delete(listener)
  }
}
