/**
 * Large answers and live streams through `app.request()` over in-memory ports: streamed bodies
 * are byte for byte the one-piece answers, the caps answer 503 and free up when an answer ends,
 * and a stream client that stops reading is told what it missed or, stuck, is let go.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { AppOptions } from '../../src/app.js'
import { writeLog } from '../fakes/log-store.js'
import { createMemorySystem, type MemorySystem } from '../fakes/system.js'
import { waitFor } from '../helpers/wait.js'
import { expectErrorBody, req } from './http.js'

let sys: MemorySystem | null = null
afterEach(async () => {
  await sys?.shutdown()
  sys = null
})

const ts = '[2025-12-26 10:30:45] '

/** A log of `n` numbered lines with quotes, backslashes and non-ASCII, read back in 1 KiB chunks. */
function system(n: number, app: Partial<AppOptions> = {}) {
  sys = createMemorySystem({ logChunkSize: 1024, app })
  sys.logFile.text = Array.from({ length: n }, (_, k) => `${ts}line ${k} "q" \\ € 😀\n`).join('')
  return sys
}

/** Reads an SSE body until `until` holds (bounded), keeping what came. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, seen: { text: string }, until: (text: string) => boolean, what: string) {
  const decoder = new TextDecoder()
  await waitFor(async () => {
    while (!until(seen.text)) {
      const next = await reader.read()
      if (next.done) throw new Error(`stream ended waiting for ${what}`)
      seen.text += decoder.decode(next.value, { stream: true })
    }
    return true
  }, { what, timeoutMs: 5000 })
}

describe('large answers', () => {
  it('answers byte for byte what the one-piece answers were - logs, logs?lines, tail and runs/{id}/logs of many chunks', async () => {
    const s = system(2000)
    const run = [`${ts}========== Pipeline execution started ==========`, `${ts}Run r1 (trigger: manual)`, `${ts}out "x"`, `${ts}========== Pipeline execution finished: success (1/1 steps, 1.00s) ==========`]
    writeLog(s.logFile, run.join('\n') + '\n')
    const text = s.logFile.text
    const all = text.slice(0, -1).split('\n')
    const last = all.slice(-1500).join('\n') + '\n'

    const whole = await req(s.app, 'GET', '/api/cron/logs')
    expect(whole.text).toBe(JSON.stringify({ logs: text, line_count: all.length }))
    expect(whole.headers.get('content-type')).toMatch(/^application\/json/)
    expect((await req(s.app, 'GET', '/api/cron/logs?lines=1500')).text).toBe(JSON.stringify({ logs: last, line_count: 1500 }))
    const tail = await req(s.app, 'GET', '/api/cron/logs/tail?lines=1500')
    expect(tail.text).toBe(last)
    expect(tail.headers.get('content-type')).toMatch(/^text\/plain; charset=utf-8$/i)
    expect((await req(s.app, 'GET', '/api/cron/runs/r1/logs')).text).toBe(JSON.stringify({ logs: run.join('\n') + '\n', line_count: 4 }))
  })

  it('answers 503 with Retry-After and the error body, and admits again once the answer in flight ends - maxLargeAnswers 1 taken', async () => {
    const s = system(2000, { maxLargeAnswers: 1 })
    const first = await s.app.request('/api/cron/logs')
    expect(first.status).toBe(200)

    for (const path of ['/api/cron/logs', '/api/cron/logs?lines=1000', '/api/cron/logs/tail?lines=1000']) {
      const refused = await req(s.app, 'GET', path)
      expectErrorBody(refused, 503, 'Too many large answers in flight (1); try again in a moment')
      expect(refused.headers.get('retry-after')).toBe('1')
    }
    // An answer of one chunk needs no slot.
    expect((await req(s.app, 'GET', '/api/cron/logs?lines=2')).body.line_count).toBe(2)

    // The client went away: its slot is free again, and an answer read to the end frees it too.
    await first.body!.cancel()
    expect((await req(s.app, 'GET', '/api/cron/logs?lines=1000')).body.line_count).toBe(1000)
    expect((await req(s.app, 'GET', '/api/cron/logs?lines=1000')).body.line_count).toBe(1000)
  })

  it('answers HEAD with the headers alone and holds no slot or subscription - HEAD with maxLargeAnswers and maxLogStreams 1', async () => {
    const s = system(2000, { maxLargeAnswers: 1, maxLogStreams: 1 })
    writeLog(s.logFile, `${ts}========== Pipeline execution started ==========\n${ts}Run r1 (trigger: manual)\n${'x\n'.repeat(5000)}`)
    for (const path of ['/api/cron/logs', '/api/cron/logs?lines=1000', '/api/cron/logs/tail?lines=1000', '/api/cron/runs/r1/logs', '/api/cron/logs/stream']) {
      for (let i = 0; i < 3; i++) {
        const res = await s.app.request(path, { method: 'HEAD' })
        expect(res.status, path).toBe(200)
        expect(res.body).toBeNull()
      }
    }
    expect(s.logFile.listeners.size).toBe(0)
    expect((await req(s.app, 'GET', '/api/cron/logs?lines=1000')).body.line_count).toBe(1000)
  })

  it('answers 503 - maxLogStreams 1 stream open; admits a stream again once that one ends', async () => {
    const s = system(10, { maxLogStreams: 1 })
    const open = await s.app.request('/api/cron/logs/stream?lines=1')
    const reader = open.body!.getReader()
    await readUntil(reader, { text: '' }, (t) => t.includes('data: '), 'the history')

    const refused = await req(s.app, 'GET', '/api/cron/logs/stream?lines=1')
    expectErrorBody(refused, 503, 'Too many live log streams (1); try again in a moment')
    expect(refused.headers.get('retry-after')).toBe('1')

    await reader.cancel()
    const again = await waitFor(async () => {
      const res = await s.app.request('/api/cron/logs/stream?lines=1')
      if (res.status === 200) return res
      await res.text()
      return null
    }, { what: 'a stream to be admitted again', timeoutMs: 5000 })
    await again.body!.cancel()
  })
})

describe('live stream with a client that stops reading', () => {
  it('sends event: missed with the number of lines dropped, then the newest lines - 3 MiB written while the client read nothing', async () => {
    const s = system(1)
    const res = await s.app.request('/api/cron/logs/stream?lines=1')
    const reader = res.body!.getReader()
    const seen = { text: '' }
    await readUntil(reader, seen, (t) => t.includes('line 0'), 'the history')

    // 30 writes of 1,000 numbered lines (~100 KiB each) in one go: nothing is read meanwhile.
    const total = 30_000
    for (let b = 0; b < 30; b++) writeLog(s.logFile, Array.from({ length: 1000 }, (_, i) => `${ts}seq ${b * 1000 + i} ${'x'.repeat(70)}\n`).join(''))
    await readUntil(reader, seen, (t) => t.includes(`seq ${total - 1} `), 'the last line')
    await reader.cancel()

    const missed = [...seen.text.matchAll(/^event: missed\ndata: (\{.*\})$/gm)].map((m) => JSON.parse(m[1]!) as { lines: number })
    const seqs = [...seen.text.matchAll(/^data: .*seq (\d+) /gm)].map((m) => Number(m[1]))
    expect(missed.length).toBeGreaterThan(0)
    // Every line is either delivered or counted as missed, and what arrives is the newest.
    expect(seqs.length + missed.reduce((n, m) => n + m.lines, 0)).toBe(total)
    expect(seqs[0]).toBe(total - seqs.length)
    expect(seen.text.indexOf('event: missed')).toBeLessThan(seen.text.indexOf(`seq ${seqs[0]} `))
  })

  it('ends the stream and drops its subscription - a client that took nothing for four heartbeats (heartbeatMs 20)', async () => {
    const s = system(1, { heartbeatMs: 20 })
    const res = await s.app.request('/api/cron/logs/stream?lines=1')
    const reader = res.body!.getReader()
    await readUntil(reader, { text: '' }, (t) => t.includes('line 0'), 'the history')
    expect(s.logFile.listeners.size).toBe(1)

    // More than the stream's buffers hold, so its writes wait for a reader that never comes.
    writeLog(s.logFile, Array.from({ length: 5000 }, (_, i) => `${ts}seq ${i} ${'x'.repeat(70)}\n`).join(''))
    await waitFor(() => s.logFile.listeners.size === 0, { what: 'the stalled stream to let go of the log', timeoutMs: 5000 })
    // What was already on its way is still readable; then the body ends.
    await waitFor(async () => (await reader.read()).done, { what: 'the body to end', timeoutMs: 5000 })
  })
})
