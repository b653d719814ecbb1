/** followLogs against the real server's SSE stream: existing lines, new lines, clear, and ending it (the server sees the client go). */
import { appendFileSync, readdirSync } from 'node:fs'
import { expect, it } from 'vitest'
import type { LogEvent } from '../../src/client.js'
import { FIXTURES } from '../helpers/server.js'
import { serverForFile } from '../helpers/client-server.js'
import { waitFor } from '../helpers/wait.js'

const pipeline = { name: 'follow-test', steps: [{ name: 'hello', run: [process.execPath, `${FIXTURES}/print-lines.mjs`, '2', '1', 'hi'] }] }

const live = serverForFile({ pipeline })

/** Reads the stream in the background into `events` until aborted. */
function collect(options: { lines?: number }) {
  const abort = new AbortController()
  const events: LogEvent[] = []
  const done = (async () => {
    for await (const event of live.client.followLogs({ ...options, signal: abort.signal })) events.push(event)
  })()
  const lines = () => events.flatMap((e) => (e.type === 'line' ? [e.line] : []))
  return { events, lines, abort, done }
}

it('yields new lines as the daemon writes them, a clear event, then lines after the clear', async () => {
  const follow = collect({ lines: 5 })
  await live.client.start({ interval_seconds: 3600 })
  await waitFor(() => follow.lines().some((l) => l.includes('Pipeline execution finished')), { timeoutMs: 20_000, what: 'the run\'s lines' })
  const lines = follow.lines()
  expect(lines.some((l) => /^\[[\d-]+ [\d:]+\] \[stdout\] hi out 2$/.test(l))).toBe(true)
  expect(lines.some((l) => /^\[[\d-]+ [\d:]+\] \[stderr\] hi err 1$/.test(l))).toBe(true)

  await live.client.clearLogs()
  await waitFor(() => follow.events.some((e) => e.type === 'clear'), { timeoutMs: 10_000, what: 'the clear event' })
  const cleared = follow.events.findIndex((e) => e.type === 'clear')
  await live.client.runNow()
  await waitFor(() => follow.events.slice(cleared).some((e) => e.type === 'line' && e.line.includes('Pipeline execution finished')), { timeoutMs: 20_000, what: 'lines after the clear' })

  // Aborting ends the loop quietly.
  follow.abort.abort()
  await expect(follow.done).resolves.toBeUndefined()
  await live.client.stop()
})

it('starts with the last N existing lines', async () => {
  const follow = collect({ lines: 2 })
  await waitFor(() => follow.lines().length >= 2, { timeoutMs: 10_000, what: 'the existing lines' })
  const tail = (await live.client.tailLogs(2)).trimEnd().split('\n')
  expect(follow.lines().slice(0, 2)).toEqual(tail)
  follow.abort.abort()
  await follow.done
})

/** The server's open files and sockets: a live stream holds its socket and the log it follows. */
const serverFds = () => readdirSync(`/proc/${live.server.pid}/fd`).length

it('ends the iteration when the loop breaks, and the server lets the stream go (its socket and the followed log closed)', async () => {
  // Idle keep-alive sockets of earlier calls close on their own; start from where they have.
  const before = await settledFds()
  let seen = 0
  let during = 0
  for await (const event of live.client.followLogs({ lines: 1 })) {
    if (event.type === 'line') seen++
    during = serverFds()
    break
  }
  expect(seen).toBe(1)
  expect(during).toBeGreaterThan(before)
  await waitFor(() => serverFds() <= before, { timeoutMs: 10_000, what: `the server's fds to return to ${before} (from ${during})` })
})

it('lets the server release the stream - the signal aborts a loop that waits for lines', async () => {
  const before = await settledFds()
  const follow = collect({ lines: 1 })
  await waitFor(() => follow.lines().length >= 1, { timeoutMs: 10_000, what: 'the first line' })
  expect(serverFds()).toBeGreaterThan(before)
  follow.abort.abort()
  await follow.done
  await waitFor(() => serverFds() <= before, { timeoutMs: 10_000, what: `the server's fds to return to ${before}` })
})

/** The server's fd count once it has held still for 300 ms (polled, bounded). */
async function settledFds(): Promise<number> {
  let last = serverFds()
  let since = Date.now()
  return waitFor(() => {
    const now = serverFds()
    if (now !== last) [last, since] = [now, Date.now()]
    return Date.now() - since >= 300 ? now : 0
  }, { timeoutMs: 10_000, intervalMs: 50, what: "the server's fds to settle" })
}

it('throws a 400 with the detail for lines out of range', async () => {
  const iterate = async () => {
    for await (const _ of live.client.followLogs({ lines: 0 })) break
  }
  await expect(iterate()).rejects.toMatchObject({ status: 400, detail: 'lines: must be an integer from 1 to 100000' })
})

it('yields {type: "missed", lines} with what the server skipped, then the newest lines - a loop that took nothing while 20 MB were written', async () => {
  const abort = new AbortController()
  const events = live.client.followLogs({ lines: 1, signal: abort.signal })[Symbol.asyncIterator]()
  try {
    expect((await events.next()).value).toMatchObject({ type: 'line' })
    // Far more than the socket buffers and the server's 1 MiB per client hold.
    const total = 200_000
    for (let b = 0; b < 200; b++) {
      appendFileSync(live.server.logFile, Array.from({ length: 1000 }, (_, i) => `seq ${b * 1000 + i} ${'x'.repeat(88)}\n`).join(''))
    }
    let delivered = 0
    let missed = 0
    let gaps = 0
    for (let last = -1; last !== total - 1; ) {
      const { value } = await events.next()
      if (value?.type === 'missed') {
        missed += value.lines
        gaps++
      } else if (value?.type === 'line') {
        last = Number(value.line.split(' ')[1])
        // Each line is the next one, or the first after the lines just reported missed.
        expect(last).toBe(delivered + missed)
        delivered++
      }
    }
    expect(gaps).toBeGreaterThan(0)
    expect(delivered + missed).toBe(total)
  } finally {
    abort.abort()
    await events.return(undefined)
  }
}, 30_000)
