/** The per-subscriber queue of the live log: bounded in bytes, overflow reported as `missed`. */
import { describe, expect, it } from 'vitest'
import { createFollowQueue } from '../../src/follow-queue.js'
import type { LogEvent } from '../../src/ports.js'

/** `n` lines `<tag>-<k>` padded to 9 characters, so each counts 10 with its "\n". */
const lines = (tag: string, n: number): LogEvent => ({ type: 'lines', lines: Array.from({ length: n }, (_, k) => `${tag}-${k}`.padEnd(9, '.')) })

/** Takes what is queued now, without waiting for more. */
async function queued(q: ReturnType<typeof createFollowQueue>): Promise<LogEvent[]> {
  const stop = new AbortController()
  const events = q.take(stop.signal)
  const out: LogEvent[] = []
  while (q.length > 0) out.push((await events.next()).value as LogEvent)
  stop.abort()
  await events.return(undefined)
  return out
}

const summary = (events: LogEvent[]) => events.map((e) => (e.type === 'lines' ? `lines ${e.lines[0]!.split('-')[0]} x${e.lines.length}` : e.type === 'missed' ? `missed ${e.lines}` : 'clear'))

describe('createFollowQueue', () => {
  it('delivers every event in order - a consumer that keeps up', async () => {
    const q = createFollowQueue(100)
    const stop = new AbortController()
    const events = q.take(stop.signal)
    const got: LogEvent[] = []
    for (const tag of ['a', 'b', 'c', 'd', 'e']) {
      const next = events.next()
      q.push(lines(tag, 8))
      got.push((await next).value as LogEvent)
    }
    stop.abort()
    expect(summary(got)).toEqual(['lines a x8', 'lines b x8', 'lines c x8', 'lines d x8', 'lines e x8'])
    expect((await events.next()).done).toBe(true)
  })

  it('replaces the queued lines with one missed event counting them, then queues the newest - a batch that would pass the bound', async () => {
    const q = createFollowQueue(100)
    q.push(lines('a', 5))
    q.push(lines('b', 4))
    expect(q.queuedBytes).toBe(90)
    q.push(lines('c', 3))
    expect(q.queuedBytes).toBe(30)
    expect(summary(await queued(q))).toEqual(['missed 9', 'lines c x3'])
    expect(q.queuedBytes).toBe(0)
  })

  it('adds up the missed lines in one event - falls behind again before reading', async () => {
    const q = createFollowQueue(100)
    for (const tag of ['a', 'b', 'c', 'd', 'e']) q.push(lines(tag, 6))
    // Each batch is 60: every push from b on drops the one before it.
    expect(summary(await queued(q))).toEqual(['missed 24', 'lines e x6'])
  })

  it('keeps a clear and counts only the lines after it - a clear among the dropped lines', async () => {
    const q = createFollowQueue(100)
    q.push(lines('a', 4))
    q.push({ type: 'clear' })
    q.push(lines('b', 5))
    q.push(lines('c', 2))
    expect(summary(await queued(q))).toEqual(['clear', 'missed 5', 'lines c x2'])
  })

  it('takes a batch larger than the bound when nothing is queued - one big write reaches a reader that keeps up', async () => {
    const q = createFollowQueue(100)
    q.push(lines('a', 30))
    expect(summary(await queued(q))).toEqual(['lines a x30'])
  })

  it('ends without yielding what is queued - signal aborted', async () => {
    const q = createFollowQueue(100)
    const stop = new AbortController()
    const events = q.take(stop.signal)
    const next = events.next()
    stop.abort()
    q.push(lines('a', 1))
    expect((await next).done).toBe(true)
  })

  it('adds up missed events that follow one another - the poller skipped ahead, then the queue overflowed', async () => {
    const q = createFollowQueue(100)
    q.push({ type: 'missed', lines: 7000 })
    q.push(lines('a', 8))
    q.push(lines('b', 8))
    expect(summary(await queued(q))).toEqual(['missed 7008', 'lines b x8'])
    q.push({ type: 'missed', lines: 5 })
    q.push({ type: 'missed', lines: 6 })
    expect(summary(await queued(q))).toEqual(['missed 11'])
  })
})
