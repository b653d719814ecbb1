import type { LogEvent, LogStore, LogWriter } from '../../src/ports.js'
import { collect, within, type ContractHarness } from './harness.js'

/** One log under test: the API's store and the daemon's writer on the same log. */
export interface LogFixture {
  store: LogStore
  writer: LogWriter
  /** The current log exactly as stored (to look for NUL padding). */
  raw(): Promise<string>
  cleanup(): Promise<void>
}

export interface LogStoreContract extends ContractHarness {
  /** A fresh, empty log. `rotateAtBytes`, when the implementation rotates, is its size limit. */
  make(o?: { rotateAtBytes?: number }): Promise<LogFixture>
}

const line = (k: number) => `[2025-12-26 10:30:45] line ${k}\n`

/** The LogStore (+ LogWriter) contract; every implementation, the in-memory one included, must pass it. */
export function logStoreContract({ it, expect, make }: LogStoreContract) {
  const withLog = async (fn: (f: LogFixture) => Promise<void>, o?: { rotateAtBytes?: number }) => {
    const f = await make(o)
    try {
      await fn(f)
    } finally {
      f.writer.close()
      await f.cleanup()
    }
  }

  it('reads nothing - empty log', () =>
    withLog(async ({ store }) => {
      expect(await store.tail(10)).toBe('')
      expect(await collect(store.readAll())).toBe('')
    }))

  it('returns the last N lines, each ending in a newline - tail', () =>
    withLog(async ({ store, writer }) => {
      for (let k = 1; k <= 5; k++) writer.append(line(k))
      expect(await store.tail(2)).toBe(line(4) + line(5))
      expect(await store.tail(1)).toBe(line(5))
      expect(await store.tail(100)).toBe([1, 2, 3, 4, 5].map(line).join(''))
    }))

  it('ends the last line with a newline - last line written without one', () =>
    withLog(async ({ store, writer }) => {
      writer.append('first\nsecond')
      expect(await store.tail(1)).toBe('second\n')
      expect(await store.tail(5)).toBe('first\nsecond\n')
    }))

  it('keeps empty lines - blank lines in the log', () =>
    withLog(async ({ store, writer }) => {
      writer.append('a\n\nb\n')
      expect(await store.tail(2)).toBe('\nb\n')
      expect(await store.tail(3)).toBe('a\n\nb\n')
    }))

  it('returns the last N lines of a big log - 8 MB, 200k lines', () =>
    withLog(async ({ store, writer }) => {
      const block = (from: number) => Array.from({ length: 10_000 }, (_, i) => `${String(from + i).padStart(8, '0')} ${'x'.repeat(30)}\n`).join('')
      for (let b = 0; b < 20; b++) writer.append(block(b * 10_000))
      const last3 = await store.tail(3)
      expect(last3.split('\n').slice(0, -1).map((l) => l.slice(0, 8))).toEqual(['00199997', '00199998', '00199999'])
      const lastN = await store.tail(25_000)
      expect(lastN.split('\n').length - 1).toBe(25_000)
      expect(lastN.slice(0, 8)).toBe('00175000')
    }), 30_000)

  it('yields the text tail gives, in chunks of whole lines - readLast over a 600 KB log with multibyte text', () =>
    withLog(async ({ store, writer }) => {
      writer.append(Array.from({ length: 30_000 }, (_, i) => `${i} € 😀 "q"\n`).join(''))
      writer.append('\nno newline at the end')
      for (const n of [1, 2, 3, 1000, 30_002, 100_000]) {
        const chunks: string[] = []
        for await (const c of store.readLast(n)) chunks.push(c)
        expect(chunks.join('')).toBe(await store.tail(n))
        expect(chunks.every((c) => c.endsWith('\n'))).toBe(true)
        if (n >= 30_000) expect(chunks.length).toBeGreaterThan(1)
      }
    }), 30_000)

  it('yields nothing - readLast of an empty log', () =>
    withLog(async ({ store }) => {
      expect(await collect(store.readLast(10))).toBe('')
    }))

  it('returns everything, characters intact across chunk boundaries - readAll with multibyte text', () =>
    withLog(async ({ store, writer }) => {
      // 3- and 4-byte UTF-8 characters across many read-block boundaries.
      const text = Array.from({ length: 40_000 }, (_, i) => `${i} € 😀 ü "q" \\\n`).join('')
      writer.append(text)
      expect(await collect(store.readAll())).toBe(text)
    }), 30_000)

  it('appends audit lines in order with the writer - store.append', () =>
    withLog(async ({ store, writer }) => {
      writer.append(line(1))
      await store.append('[2025-12-26 10:30:46] Audit: x cleared\n')
      writer.append(line(2))
      expect(await collect(store.readAll())).toBe(`${line(1)}[2025-12-26 10:30:46] Audit: x cleared\n${line(2)}`)
    }))

  it('starts again at offset 0 with no NUL bytes - clear, then the writer appends', () =>
    withLog(async ({ store, writer, raw }) => {
      for (let k = 1; k <= 1000; k++) writer.append(line(k))
      await store.clear()
      expect(await raw()).toBe('')
      writer.append('after the clear\n')
      const after = await raw()
      expect(after).toBe('after the clear\n')
      expect(after.includes('\0')).toBe(false)
      expect(await store.tail(5)).toBe('after the clear\n')
    }))

  it('leaves an empty log - clear on a log never written', () =>
    withLog(async ({ store }) => {
      await store.clear()
      expect(await store.tail(5)).toBe('')
    }))

  it('returns every retained line, oldest first - readRetained across rotation', () =>
    withLog(
      async ({ store, writer }) => {
        const all = Array.from({ length: 60 }, (_, k) => line(k)).join('')
        for (let k = 0; k < 60; k++) writer.append(line(k))
        expect(await collect(store.readRetained())).toBe(all)
        // tail and readAll only cover the current file, which ends with the newest line.
        expect(await store.tail(1)).toBe(line(59))
        await store.clear()
        writer.append(line(100))
        expect(await collect(store.readRetained())).toBe(line(100))
      },
      { rotateAtBytes: 1024 },
    ))

  it('sends the last N lines, then new lines, then a clear - follow', () =>
    withLog(async ({ store, writer }) => {
      for (let k = 1; k <= 5; k++) writer.append(line(k))
      const stop = new AbortController()
      const events = store.follow(2, stop.signal)[Symbol.asyncIterator]()
      const next = () => within(events.next(), 5000, 'a follow event').then((r) => r.value as LogEvent)
      try {
        expect(await next()).toEqual({ type: 'lines', lines: [line(4).trimEnd(), line(5).trimEnd()] })
        writer.append(line(6) + line(7))
        const got: string[] = []
        while (got.length < 2) {
          const e = await next()
          if (e.type === 'lines') got.push(...e.lines)
        }
        expect(got).toEqual([line(6).trimEnd(), line(7).trimEnd()])
        await store.clear()
        expect(await next()).toEqual({ type: 'clear' })
        writer.append(line(8))
        expect(await next()).toEqual({ type: 'lines', lines: [line(8).trimEnd()] })
      } finally {
        stop.abort()
      }
      expect((await within(events.next(), 5000, 'the end of follow')).done).toBe(true)
    }), 30_000)

  it('tells a consumer that fell behind how many lines it missed, then goes on with the newest - 3 MB written while it read nothing', () =>
    withLog(async ({ store, writer }) => {
      writer.append(line(0))
      const stop = new AbortController()
      const slow = store.follow(1, stop.signal)[Symbol.asyncIterator]()
      // A second consumer that reads at once: when it has the last line, the slow one's queue has seen it too.
      const witness = store.follow(1, stop.signal)[Symbol.asyncIterator]()
      const next = (it: AsyncIterator<LogEvent>) => within(it.next(), 5000, 'a follow event').then((r) => r.value as LogEvent)
      try {
        expect(await next(slow)).toEqual({ type: 'lines', lines: [line(0).trimEnd()] })
        expect(await next(witness)).toEqual({ type: 'lines', lines: [line(0).trimEnd()] })
        const total = 30_000
        const seq = (k: number) => `seq ${k} ${'x'.repeat(70)}`
        for (let b = 0; b < 30; b++) writer.append(Array.from({ length: 1000 }, (_, i) => `${seq(b * 1000 + i)}\n`).join(''))
        for (let last = ''; last !== seq(total - 1); ) {
          const e = await next(witness)
          if (e.type === 'lines' && e.lines.length) last = e.lines[e.lines.length - 1]!
        }
        let delivered = 0
        let missed = 0
        for (let last = ''; last !== seq(total - 1); ) {
          const e = await next(slow)
          if (e.type === 'missed') missed += e.lines
          else if (e.type === 'lines' && e.lines.length) {
            // What arrives after a gap is the newest: the lines before it were all counted.
            expect(Number(e.lines[0]!.split(' ')[1])).toBe(delivered + missed)
            delivered += e.lines.length
            last = e.lines[e.lines.length - 1]!
          }
        }
        expect(missed).toBeGreaterThan(0)
        expect(delivered + missed).toBe(total)
      } finally {
        stop.abort()
      }
    }), 30_000)
}
