/**
 * The live log stream in-process: the SSE route over the REAL file log store (createFileLogStore) with a
 * short heartbeat; the shared follower is released when clients go (followerStats), and
 * rotations between two polls lose no line. The daemon side is the real file log writer.
 */
import { serve } from '@hono/node-server'
import { appendFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createFileLogStore } from '../../adapters/posix/log-store.js'
import { createFileLogWriter } from '../../adapters/posix/log-writer.js'
import { parseSse } from '../../src/client/sse.js'
import type { LogEvent, LogWriter } from '../../src/ports.js'
import { createMemorySystem } from '../fakes/system.js'
import { waitFor } from '../helpers/wait.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function setup(o: { heartbeatMs?: number; pollMs?: number; maxBytes?: number; keep?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pc-feat-sse-'))
  const file = join(dir, 'pipeline.log')
  const keep = o.keep ?? 3
  const writer: LogWriter = createFileLogWriter(file, o.maxBytes ?? 1_000_000, keep)
  const logs = createFileLogStore(file, keep, { pollMs: o.pollMs ?? 20 })
  const sys = createMemorySystem({ logs, app: { heartbeatMs: o.heartbeatMs ?? 60_000 } })
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  cleanups.push(() => writer.close())
  cleanups.push(() => sys.shutdown())
  return { file, writer, logs, app: sys.app }
}

/** Reads an SSE body as text, block by block, until `until` holds or the stream ends. */
class Reader {
  text = ''
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>
  private readonly decoder = new TextDecoder()
  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader()
  }
  async until(check: (text: string) => boolean, what: string, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs
    while (!check(this.text)) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got: ${JSON.stringify(this.text.slice(-500))}`)
      let timer: ReturnType<typeof setTimeout> | undefined
      const next = await Promise.race([
        this.reader.read(),
        new Promise<null>((r) => (timer = setTimeout(() => r(null), left))),
      ])
      clearTimeout(timer)
      if (next === null) continue
      if (next.done) throw new Error(`stream ended waiting for ${what}`)
      this.text += this.decoder.decode(next.value, { stream: true })
    }
  }
  /** The plain messages' data so far, parsed the way every client parses the stream. */
  async data(): Promise<string[]> {
    const out: string[] = []
    for await (const m of parseSse(new Response(this.text).body!)) if (m.event === 'message') out.push(m.data)
    return out
  }
  cancel() {
    return this.reader.cancel()
  }
}

const line = (text: string) => `[2025-12-26 10:30:45] ${text}\n`

describe('log stream over the file log store', () => {
  it('sends a heartbeat comment every heartbeatMs - heartbeatMs 50', async () => {
    const t = setup({ heartbeatMs: 50 })
    t.writer.append(line('hello'))
    const res = await t.app.request('/api/cron/logs/stream?lines=5')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const r = new Reader(res.body!)
    await r.until((x) => (x.match(/^: heartbeat$/gm) ?? []).length >= 3, 'three heartbeats')
    expect(r.text.startsWith(': connected\n\n')).toBe(true)
    expect(await r.data()).toEqual(['[2025-12-26 10:30:45] hello'])
    // Heartbeats are comments: they never show up as data.
    expect(r.text).toMatch(/\n\n: heartbeat\n\n/)
    await r.cancel()
  })

  it('releases the shared follower (no subscriber, no timer, no open file) - 100 streams cancelled', async () => {
    const t = setup()
    t.writer.append(line('first'))
    const readers: Reader[] = []
    for (let i = 0; i < 100; i++) {
      const res = await t.app.request('/api/cron/logs/stream?lines=1')
      readers.push(new Reader(res.body!))
    }
    await Promise.all(readers.map((r) => r.until((x) => x.includes('data: '), 'the history line')))
    expect(t.logs.followerStats()).toMatchObject({ subscribers: 100, open: true })
    t.writer.append(line('second'))
    await Promise.all(readers.map((r) => r.until((x) => x.includes('second'), 'the new line')))

    await Promise.all(readers.map((r) => r.cancel()))
    await waitFor(() => {
      const s = t.logs.followerStats()
      return s.subscribers === 0 && !s.timer && !s.open
    }, { what: 'the follower to be released', timeoutMs: 5000 })
  })

  it('releases the follower when an HTTP client aborts - real socket, fetch + AbortController', async () => {
    const t = setup()
    t.writer.append(line('first'))
    const server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' })
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          server.close(() => r())
          // Idle keep-alive sockets would hold close() for the keep-alive timeout.
          ;(server as import('node:http').Server).closeAllConnections()
        }),
    )
    await new Promise<void>((r) => server.once('listening', () => r()))
    const { port } = server.address() as AddressInfo
    const aborts = Array.from({ length: 10 }, () => new AbortController())
    const readers = await Promise.all(
      aborts.map(async (a) => new Reader((await fetch(`http://127.0.0.1:${port}/api/cron/logs/stream?lines=1`, { signal: a.signal })).body!)),
    )
    await Promise.all(readers.map((r) => r.until((x) => x.includes('data: '), 'the history line')))
    expect(t.logs.followerStats().subscribers).toBe(10)
    for (const a of aborts) a.abort()
    await waitFor(() => {
      const s = t.logs.followerStats()
      return s.subscribers === 0 && !s.timer && !s.open
    }, { what: 'the follower to be released', timeoutMs: 5000 })
  })

  it('counts as missed what it skipped, and streams the rest in order, each line once - 20 MB written at once while a stream follows', async () => {
    const t = setup({ pollMs: 50 })
    const stop = new AbortController()
    cleanups.push(() => stop.abort())
    const events = t.logs.follow(0, stop.signal)[Symbol.asyncIterator]()
    const total = 200_000
    // Live once a line written after the subscription arrives.
    let pings = 0
    let pingsSeen = 0
    const countPings = (e: LogEvent) => (pingsSeen += e.type === 'lines' ? e.lines.filter((l) => l === 'ping').length : 0)
    const first = events.next()
    let live = false
    void first.then((next) => (countPings(next.value as LogEvent), (live = true)))
    await waitFor(() => (appendFileSync(t.file, 'ping\n'), pings++, live), { what: 'the stream to be live' })
    // Lines of 100 bytes; one write, so the poller finds 20 MB waiting: far more than any queue takes.
    appendFileSync(t.file, Array.from({ length: total }, (_, k) => `line ${k}`.padEnd(99, '.') + '\n').join(''))
    let missed = 0
    const seen: number[] = []
    for (let next = await events.next(); !next.done; next = await events.next()) {
      const e = next.value
      countPings(e)
      if (e.type === 'missed') missed += e.lines
      if (e.type === 'lines') for (const line of e.lines) if (line.startsWith('line ')) seen.push(Number(/^line (\d+)/.exec(line)![1]))
      if (seen[seen.length - 1] === total - 1) break
    }
    // A ping written while the first was on its way may be among the skipped lines.
    const pingsMissed = pings - pingsSeen
    expect(missed).toBeGreaterThan(total / 2)
    expect(missed - pingsMissed + seen.length).toBe(total)
    expect(seen[0]).toBe(missed - pingsMissed)
    expect(seen.every((n, i) => n === seen[0]! + i)).toBe(true)
  })

  it('streams every line of files rotated between two polls, in order - three rotations at once', async () => {
    const t = setup({ maxBytes: 1024, keep: 5, pollMs: 100 })
    const res = await t.app.request('/api/cron/logs/stream?lines=1')
    const r = new Reader(res.body!)
    await r.until((x) => x.startsWith(': connected'), 'connected')
    t.writer.append(line('before'))
    await r.until((x) => x.includes('before'), 'the first line')
    // Synchronous writes: no poll can run in between, so the follower meets three rotations at once.
    const big = 'x'.repeat(1000)
    for (let i = 1; i <= 3; i++) t.writer.append(line(`chunk ${i} ${big}`))
    t.writer.append(line('after'))
    await r.until((x) => x.includes('after'), 'the last line')
    expect((await r.data()).map((d) => d.slice(22).split(' ').slice(0, 2).join(' '))).toEqual(['before', 'chunk 1', 'chunk 2', 'chunk 3', 'after'])
    await r.cancel()
  })

  it('streams the files a new log rotated into before the first poll saw it - stream opened before the log exists', async () => {
    const t = setup({ maxBytes: 1024, keep: 5, pollMs: 100 })
    rmSync(t.file, { force: true })
    const res = await t.app.request('/api/cron/logs/stream?lines=5')
    const r = new Reader(res.body!)
    await r.until((x) => x.startsWith(': connected'), 'connected')
    // The writer reopens the path at its first rotation; write two rotations' worth synchronously.
    const big = 'x'.repeat(1000)
    for (let i = 1; i <= 3; i++) t.writer.append(line(`chunk ${i} ${big}`))
    t.writer.append(line('after'))
    await r.until((x) => x.includes('after'), 'the last line')
    expect((await r.data()).map((d) => d.slice(22).split(' ').slice(0, 2).join(' '))).toEqual(['chunk 2', 'chunk 3', 'after'])
    await r.cancel()
  })

  it('streams each line once when the log is renamed away and recreated across two polls', async () => {
    const t = setup({ pollMs: 50 })
    const res = await t.app.request('/api/cron/logs/stream?lines=1')
    const r = new Reader(res.body!)
    await r.until((x) => x.startsWith(': connected'), 'connected')
    appendFileSync(t.file, line('old 1'))
    await r.until((x) => x.includes('old 1'), 'the first line')
    appendFileSync(t.file, line('old 2'))
    renameSync(t.file, `${t.file}.1`)
    // Let at least one poll see no log at all before the new one appears.
    await waitFor(() => t.logs.followerStats().open === false, { what: 'the follower to let go of the old file' })
    appendFileSync(t.file, line('new 1'))
    await r.until((x) => x.includes('new 1'), 'the new line')
    appendFileSync(t.file, line('new 2'))
    await r.until((x) => x.includes('new 2'), 'the second new line')
    expect((await r.data()).map((d) => d.slice(22))).toEqual(['old 1', 'old 2', 'new 1', 'new 2'])
    await r.cancel()
  })
})
