/**
 * Slow readers over a real server: a live-stream client that stops reading while a step floods
 * the log, and raw sockets that ask for large answers and never read them. The server's memory
 * (VmRSS in /proc) stays bounded, /health keeps answering, and a client that goes releases what
 * it held. Every client talks to 127.0.0.1 and is destroyed when its test ends.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { get, type IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { parseSse } from '../../src/client/sse.js'
import { call, expectError, faultFixture, fixture, serverForTest, startDaemon, waitFor, waitForLog, type TestServer } from './support.js'

/** How far the server's RSS may rise above where it stood before the slow clients came. */
const MAX_GROWTH_MB = 150
/**
 * The slowest /health allowed. It took 30-640 ms here, up to 1.7 s in the first burst (40 sockets
 * filling 4 MB kernel buffers each) on two cores that other test runs shared; before, it timed out.
 */
const MAX_HEALTH_MS = 2000
/** The server's cap on large answers in flight (README, Fault tolerance). */
const ANSWER_SLOTS = 32

const quiet = { name: 'quiet', steps: [{ name: 'hello', run: fixture('print-lines.mjs', '1') }] }
const flood = (seconds: number) => ({ name: 'flood', steps: [{ name: 'flood', run: faultFixture('flood-lines.mjs', String(seconds)) }] })

describe('slow readers', () => {
  it('keeps the server within 150 MB of its start and /health under 2 s, and tells a slow reader exactly how many lines it missed - a stream client that never reads while a step floods the log', async () => {
    // Rotation keeps the flood's disk use near 3 x 32 MB.
    const server = await serverForTest({ pipeline: flood(25), args: ['--log-max-bytes', String(32 * 1024 * 1024), '--log-keep', '2'] })
    await startDaemon(server)
    await waitForLog(server, /flood seq=/)
    const baseline = rssMb(server.pid)
    const fdsBefore = fdCount(server.pid)

    const stalled = stalledClient(server, '/api/cron/logs/stream?lines=1')
    const slow = slowStreamReader(server, '/api/cron/logs/stream?lines=1')
    const seen = await watchServer(server, baseline, 10_000)
    // On a loaded machine the flood may take longer to outrun the reader: watch on (bounded) until it has.
    const told = () => slow.gaps.some((g) => g.before > 0 && g.after !== null)
    for (let more = 0; more < 3 && !told(); more++) {
      const later = await watchServer(server, baseline, 3000)
      seen.peakMb = Math.max(seen.peakMb, later.peakMb)
      seen.slowestHealthMs = Math.max(seen.slowestHealthMs, later.slowestHealthMs)
    }

    // The flood outran the slow reader: it was told what it missed, and each count is exact.
    const gaps = slow.gaps.filter((g) => g.before > 0 && g.after !== null)
    expect(gaps.length, `missed events with a line on each side (data lines read: ${slow.dataLines})`).toBeGreaterThan(0)
    for (const g of gaps) expect(g.after! - g.before - 1, `lines between seq ${g.before} and ${g.after}`).toBe(g.missed)
    expect(slow.dataLines).toBeGreaterThan(1000)

    // Gone clients release their subscription (the log file handle) and the memory stops there.
    stalled.destroy()
    slow.close()
    await waitFor(() => fdCount(server.pid) <= fdsBefore, { what: 'the server to close what the clients held', timeoutMs: 5000 })
    const after = await watchServer(server, baseline, 2000)
    expect(after.peakMb - seen.peakMb, `RSS after the clients left (${after.peakMb.toFixed(0)} MB) vs during (${seen.peakMb.toFixed(0)} MB)`).toBeLessThan(20)
    console.log(`stream: RSS ${baseline.toFixed(0)} -> peak ${seen.peakMb.toFixed(0)} MB, /health at most ${seen.slowestHealthMs.toFixed(0)} ms, ${slow.gaps.length} missed events`)
  }, 40_000)

  it('keeps the server within 150 MB of its start and /health under 2 s, and answers 503 past 32 - 30 raw sockets that ask a 50 MB log for lines=100000 and never read', async () => {
    const server = await serverForTest({ pipeline: quiet })
    const text = writeBigLog(server, [])
    const baseline = rssMb(server.pid)

    for (let i = 0; i < 30; i++) stalledClient(server, '/api/cron/logs?lines=100000')
    const seen = await watchServer(server, baseline, 6000)

    // Two more fill the cap: the next large answer is refused with the error body, not queued.
    for (const s of await Promise.all([0, 1].map(() => stalledClient(server, '/api/cron/logs?lines=100000', { readHead: true }).status))) expect(s).toBe(200)
    const refused = await call(server.url, 'GET', '/api/cron/logs?lines=100000')
    expectError(refused, 503, /try again/)
    expect(refused.headers.get('retry-after')).toBe('1')
    // Small answers need no slot.
    expect((await call(server.url, 'GET', '/api/cron/logs?lines=5')).body.line_count).toBe(5)

    // Once the sockets are gone, the same request answers the same bytes it always did.
    destroyAll(server)
    const res = await waitFor(async () => {
      const r = await fetch(`${server.url}/api/cron/logs?lines=100000`)
      return r.status === 200 ? r.text() : (await r.text(), null)
    }, { what: 'a large answer to be admitted again', timeoutMs: 5000 })
    expect(res === JSON.stringify({ logs: text, line_count: 100_000 }), 'the streamed JSON is byte for byte the one-piece answer').toBe(true)
    console.log(`logs?lines: RSS ${baseline.toFixed(0)} -> peak ${seen.peakMb.toFixed(0)} MB, /health at most ${seen.slowestHealthMs.toFixed(0)} ms`)
  }, 40_000)

  it('keeps the server within 150 MB of its start and /health under 2 s - 40 raw sockets that ask a 50 MB log for its stream history, a run\'s lines, the tail and the whole file, and never read', async () => {
    const server = await serverForTest({ pipeline: quiet })
    const ts = '[2025-12-26 10:30:45] '
    const head = [`${ts}========== Pipeline execution started ==========`, `${ts}Run r-big (trigger: manual)`]
    const foot = `${ts}========== Pipeline execution finished: success (1/1 steps, 1.00s) ==========`
    const text = writeBigLog(server, head, foot)
    const lines = text.slice(0, -1).split('\n')
    const baseline = rssMb(server.pid)

    for (const path of ['/api/cron/logs/stream?lines=100000', '/api/cron/runs/r-big/logs', '/api/cron/logs/tail?lines=100000', '/api/cron/logs']) {
      for (let i = 0; i < 10; i++) stalledClient(server, path)
    }
    const seen = await watchServer(server, baseline, 6000)
    destroyAll(server)

    // The answers themselves are unchanged.
    const tail = await waitFor(async () => {
      const r = await fetch(`${server.url}/api/cron/logs/tail?lines=100000`)
      return r.status === 200 ? r.text() : (await r.text(), null)
    }, { what: 'the tail to be admitted again', timeoutMs: 5000 })
    expect(tail === lines.slice(-100_000).join('\n') + '\n', 'tail?lines=100000 is the last 100000 lines').toBe(true)
    const run = await call(server.url, 'GET', '/api/cron/runs/r-big/logs')
    expect(run.status, run.text.slice(0, 300)).toBe(200)
    expect(run.text === JSON.stringify({ logs: text, line_count: lines.length }), "the run's answer is byte for byte the one-piece answer").toBe(true)
    const history = await streamHistory(server, 100_000)
    expect(history.length).toBe(100_000)
    expect(history.join('\n') === lines.slice(-100_000).join('\n'), 'the stream history is the last 100000 lines').toBe(true)
    console.log(`mixed: RSS ${baseline.toFixed(0)} -> peak ${seen.peakMb.toFixed(0)} MB, /health at most ${seen.slowestHealthMs.toFixed(0)} ms`)
  }, 40_000)
})

// ---------------------------------------------------------------------------------------------

function rssMb(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return Number(kb) / 1024
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

/**
 * Samples the server's RSS and the time /health takes, about every 200 ms for `ms`, and fails as
 * soon as either passes its bound, so a runaway server is stopped early, not after gigabytes.
 */
async function watchServer(server: TestServer, baselineMb: number, ms: number) {
  const until = Date.now() + ms
  let peakMb = 0
  let slowestHealthMs = 0
  for (let sample = 0; Date.now() < until; sample++) {
    const rss = rssMb(server.pid)
    peakMb = Math.max(peakMb, rss)
    expect(rss - baselineMb, `MB of RSS above the ${baselineMb.toFixed(0)} MB start, sample ${sample}`).toBeLessThan(MAX_GROWTH_MB)
    const started = performance.now()
    const res = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(5000) })
    await res.text()
    const took = performance.now() - started
    expect(res.status).toBe(200)
    expect(took, `ms /health took, sample ${sample}`).toBeLessThan(MAX_HEALTH_MS)
    slowestHealthMs = Math.max(slowestHealthMs, took)
    await new Promise((r) => setTimeout(r, 200))
  }
  return { peakMb, slowestHealthMs }
}

const openSockets = new Map<string, Socket[]>()

/**
 * Sends one GET and never reads the answer: the client's receive buffer fills, then the server's
 * send buffer, and from then on the server holds whatever it does not stop producing. With
 * `readHead`, the first bytes (the status line) are read, then nothing more.
 */
function stalledClient(server: TestServer, path: string, o: { readHead?: boolean } = {}) {
  const socket = connect({ host: '127.0.0.1', port: Number(new URL(server.url).port) })
  socket.on('error', () => undefined)
  const status = new Promise<number>((resolve) => {
    if (!o.readHead) return socket.pause()
    socket.once('data', (d: Buffer) => {
      socket.pause()
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'))?.[1]))
    })
  })
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
  const list = openSockets.get(server.url) ?? []
  if (list.length === 0) onTestFinished(() => destroyAll(server))
  list.push(socket)
  openSockets.set(server.url, list)
  return Object.assign(socket, { status })
}

function destroyAll(server: TestServer) {
  for (const s of openSockets.get(server.url) ?? []) s.destroy()
  openSockets.delete(server.url)
}

/**
 * Reads the live stream one chunk at a time with a 50 ms pause after each (about 1 MB/s, far
 * below the flood), and notes each `missed` event with the sequence numbers on either side.
 */
function slowStreamReader(server: TestServer, path: string) {
  const state = {
    gaps: [] as { missed: number; before: number; after: number | null }[],
    dataLines: 0,
    close: () => req.destroy(),
  }
  let lastSeq = 0
  const read = async (res: IncomingMessage) => {
    // The socket is paused 50 ms after each chunk, so the server's writes back up (a web stream
    // over it would read ahead); the chunks are parsed as any client parses them.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        res.on('data', (chunk: Buffer) => {
          controller.enqueue(new Uint8Array(chunk))
          res.pause()
          setTimeout(() => res.resume(), 50)
        })
        res.on('end', () => controller.close())
        res.on('error', (err) => controller.error(err))
      },
    })
    for await (const message of parseSse(chunks)) {
      if (message.event === 'missed') {
        const lines = (JSON.parse(message.data) as { lines: number }).lines
        // Missed events with no line between them add up to one gap.
        const open = state.gaps[state.gaps.length - 1]
        if (open && open.after === null) open.missed += lines
        else state.gaps.push({ missed: lines, before: lastSeq, after: null })
        continue
      }
      const seq = /flood seq=(\d+)/.exec(message.data)?.[1]
      if (!seq) continue
      state.dataLines++
      lastSeq = Number(seq)
      const open = state.gaps[state.gaps.length - 1]
      if (open && open.after === null) open.after = lastSeq
    }
  }
  const req = get(server.url + path, (res) => void read(res).catch(() => undefined))
  req.on('error', () => undefined)
  onTestFinished(() => void req.destroy())
  return state
}

/**
 * Writes a 50 MB log straight to the log file: `head` lines, 100,000 numbered lines of 500 bytes,
 * then `foot`. Returns the text.
 */
function writeBigLog(server: TestServer, head: string[], foot?: string): string {
  const pad = 'x'.repeat(500 - 40)
  const body = Array.from({ length: 100_000 }, (_, i) => `[2025-12-26 10:30:45] line ${String(i).padStart(9, '0')} ${pad}`)
  const text = [...head, ...body, ...(foot ? [foot] : [])].join('\n') + '\n'
  writeFileSync(server.logFile, text)
  return text
}

/** The first `n` data lines of a live stream (its history), read as fast as they come. */
async function streamHistory(server: TestServer, n: number): Promise<string[]> {
  const abort = new AbortController()
  const res = await fetch(`${server.url}/api/cron/logs/stream?lines=${n}`, { signal: abort.signal })
  expect(res.status).toBe(200)
  const lines: string[] = []
  try {
    for await (const message of parseSse(res.body!)) {
      if (message.event === 'message') lines.push(message.data)
      if (lines.length >= n) break
    }
  } finally {
    abort.abort()
  }
  return lines
}
