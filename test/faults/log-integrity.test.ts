/**
 * The log under a flood (a step printing ~50k numbered lines a second): clears and size
 * rotation meanwhile leave no NUL byte, no torn line, and lose no line written after them.
 * Readers (tail) polling meanwhile only ever see whole lines.
 */
import { readFileSync } from 'node:fs'
import { statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { call, faultFixture, LOG_LINE, serverForTest, startDaemon, waitFor, waitForLog, type TestServer } from './support.js'

const LINES = 150_000
const RATE = 50_000
const flood = { name: 'flood', steps: [{ name: 'seq', run: faultFixture('seq-writer.mjs', String(LINES), String(RATE)) }] }
const FINISHED = /Pipeline execution finished: success/

describe('log integrity under a flood', () => {
  it('has no NUL, no torn line and contiguous sequence numbers after the last clear - clears (up to 8) while a step writes ~50k lines/s', async () => {
    const server = await serverForTest({ pipeline: flood })
    const readers = pollTail(server)
    await startDaemon(server)
    let clears = 0
    let lastSeqBeforeClear = 0
    for (; clears < 8; clears++) {
      // Let some lines land, then clear while the step is still writing.
      await waitFor(() => size(server.logFile) > 128 * 1024 || FINISHED.test(read(server.logFile)), { what: 'the log to grow' })
      const before = read(server.logFile)
      // Stop clearing half-way, so plenty is written after the last clear.
      if (FINISHED.test(before) || lastSeq(before) > LINES / 2) break
      lastSeqBeforeClear = lastSeq(before)
      const res = await call(server.url, 'DELETE', '/api/cron/logs')
      expect(res.status, res.text).toBe(200)
    }
    const text = await waitForLog(server, FINISHED, 30_000)
    const seen = await readers.stop()
    // The clears happened during the flood, not after it.
    expect(clears, 'clears done while the step was writing').toBeGreaterThanOrEqual(3)

    expectWholeLines(text)
    const seqs = sequence(text)
    expect(seqs.length, `lines written after the last clear (${clears} clears, last seen before it ${lastSeqBeforeClear}): ${text.slice(0, 600)}`).toBeGreaterThan(1000)
    expect(seqs[0]!).toBeGreaterThan(lastSeqBeforeClear)
    expectContiguous(seqs)
    expect(seqs[seqs.length - 1]).toBe(LINES)
    expect(text).toMatch(new RegExp(`\\] \\[stdout\\] seq-done ${LINES}\\n`))
    expect(text).toMatch(/Audit: \S+ cleared the logs/)

    expect(seen.reads, 'tail reads during the flood').toBeGreaterThan(5)
    expect(seen.bad.slice(0, 8), `${seen.bad.length} torn or NUL lines seen by tail`).toEqual([])
  }, 60_000)

  it('has no NUL, no torn line and no gap across the retained files - rotation every 256 KiB while a step writes ~50k lines/s', async () => {
    const server = await serverForTest({ pipeline: flood, args: ['--log-max-bytes', String(256 * 1024), '--log-keep', '3'] })
    const readers = pollTail(server)
    await startDaemon(server)
    await waitForLog(server, FINISHED, 30_000)
    const seen = await readers.stop()

    const files = [3, 2, 1].map((i) => `${server.logFile}.${i}`).concat(server.logFile)
    const texts = files.map(read)
    for (const [i, t] of texts.entries()) {
      expect(t.length, `${files[i]} exists`).toBeGreaterThan(0)
      // Rotation happens after a write: one write is one read of the step's pipe (up to 64 KiB,
      // about three times that with the timestamps), so a file ends a little past the limit.
      expect(Buffer.byteLength(t), `${files[i]} stays near the limit`).toBeLessThan(2 * 256 * 1024)
      expectWholeLines(t)
    }
    // Oldest first, the retained files hold one unbroken run of numbers up to the last line.
    const seqs = sequence(texts.join(''))
    expect(seqs.length).toBeGreaterThan(10_000)
    expectContiguous(seqs)
    expect(seqs[seqs.length - 1]).toBe(LINES)
    expect(read(`${server.logFile}.4`)).toBe('')
    expect(seen.bad.slice(0, 8), `${seen.bad.length} torn or NUL lines seen by tail`).toEqual([])
  }, 60_000)
})

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

function size(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

function lastSeq(text: string): number {
  const all = [...text.matchAll(/\] \[stdout\] seq (\d+)\n/g)]
  return Number(all[all.length - 1]?.[1] ?? 0)
}

function sequence(text: string): number[] {
  return [...text.matchAll(/\] \[stdout\] seq (\d+)$/gm)].map((m) => Number(m[1]))
}

function expectWholeLines(text: string) {
  expect(text.includes('\0'), 'NUL byte in the log').toBe(false)
  if (text.length) expect(text.endsWith('\n'), 'the log ends with a whole line').toBe(true)
  const bad = text.split('\n').slice(0, -1).filter((l) => !LOG_LINE.test(l))
  expect(bad.slice(0, 5), `${bad.length} torn lines`).toEqual([])
}

function expectContiguous(seqs: number[]) {
  const gaps: string[] = []
  for (let i = 1; i < seqs.length; i++) if (seqs[i] !== seqs[i - 1]! + 1) gaps.push(`${seqs[i - 1]} -> ${seqs[i]}`)
  expect(gaps.slice(0, 5), `${gaps.length} gaps or repeats`).toEqual([])
}

/** Polls GET /api/cron/logs/tail until stopped, collecting any line that is not whole. */
function pollTail(server: TestServer) {
  let running = true
  const seen = { reads: 0, bad: [] as string[] }
  const loop = (async () => {
    while (running) {
      const res = await call(server.url, 'GET', '/api/cron/logs/tail?lines=200').catch(() => null)
      if (!res) continue
      seen.reads++
      if (res.status !== 200) seen.bad.push(`status ${res.status}`)
      for (const line of res.text.split('\n').slice(0, -1)) {
        if (!LOG_LINE.test(line) || line.includes('\0')) seen.bad.push(JSON.stringify(line.slice(0, 80)))
      }
      if (res.text.length && !res.text.endsWith('\n')) seen.bad.push('no final newline')
      await new Promise((r) => setTimeout(r, 20))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return seen
    },
  }
}
