/**
 * Size-based rotation under a step that writes a lot (500 MB). The retained files stay within
 * max_bytes x (keep + 1) plus a write chunk per file, no line is torn, and the retained lines
 * are an exact, gap-free suffix of what the step printed (all of it when it fits).
 */
import { readFileSync, statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { LOG_LINE, localFixture, serverForTest, startDaemon, waitForLog, type TestServer } from './support.js'

// A daemon append is one read of the step's stdout (<= 64 KiB) plus a timestamp per line.
const CHUNK = 256 * 1024

const writer = (bytes: number) => ({ name: 'writer', steps: [{ name: 'write', run: localFixture('write-bytes.mjs', String(bytes), '100') }] })

function retained(server: TestServer, keep: number): { file: string; size: number; text: string }[] {
  const files = [...Array.from({ length: keep }, (_, i) => `${server.logFile}.${keep - i}`), server.logFile]
  return files.flatMap((file) => {
    try {
      return [{ file, size: statSync(file).size, text: readFileSync(file, 'utf8') }]
    } catch {
      return []
    }
  })
}

/** Checks every line of every retained file; returns the numbers of the `big <n>` lines in order. */
function checkLines(files: { text: string }[]): number[] {
  const numbers: number[] = []
  for (const { text } of files) {
    expect(text.endsWith('\n')).toBe(true)
    const lines = text.slice(0, -1).split('\n')
    for (const l of lines) {
      if (!LOG_LINE.test(l)) throw new Error(`torn or unprefixed line: ${JSON.stringify(l.slice(0, 200))}`)
      const m = /^\[[^\]]+\] \[stdout\] big (\d+) x+$/.exec(l)
      if (m) {
        expect(l.length).toBe(131)
        numbers.push(Number(m[1]))
      }
    }
  }
  return numbers
}

function expectConsecutive(numbers: number[]) {
  for (let i = 1; i < numbers.length; i++) {
    if (numbers[i] !== numbers[i - 1]! + 1) throw new Error(`gap or repeat at ${i}: ${numbers[i - 1]} then ${numbers[i]}`)
  }
}

describe('log rotation', () => {
  it('keeps log + .1 + .2 within max_bytes x 3 (+ a chunk each), with no torn line and a gap-free tail - 500 MB step, --log-max-bytes 5000000 --log-keep 2', { timeout: 120_000 }, async (ctx) => {
    const max = 5_000_000
    const server = await serverForTest({ pipeline: writer(500_000_000), args: ['--log-max-bytes', String(max), '--log-keep', '2'] }, ctx)
    await startDaemon(server, { interval_seconds: 3600 })
    await waitForLog(server, /Pipeline execution finished: success/, 80_000)

    const files = retained(server, 2)
    expect(files.map((f) => f.file)).toEqual([`${server.logFile}.2`, `${server.logFile}.1`, server.logFile])
    const total = files.reduce((n, f) => n + f.size, 0)
    expect(total).toBeLessThanOrEqual(max * 3 + 2 * CHUNK)
    // A file is rotated once it reaches max_bytes: the rotated ones are at least that, by under a chunk.
    for (const f of files.slice(0, 2)) {
      expect(f.size).toBeGreaterThanOrEqual(max)
      expect(f.size).toBeLessThan(max + CHUNK)
    }
    expect(files[2]!.size).toBeLessThan(max)

    const numbers = checkLines(files)
    expectConsecutive(numbers)
    const printed = Number(/\] \[stdout\] total (\d+)$/m.exec(files[2]!.text)![1])
    expect(numbers[numbers.length - 1]).toBe(printed)
    // About 500 MB of 101-byte lines were printed (about 9 s here); only the newest ~15 MB are kept.
    expect(printed).toBeGreaterThan(4_900_000)
    expect(numbers.length).toBeLessThan(printed)
    // At least the two rotated files (2 x 5 MB of 132-byte log lines).
    expect(numbers.length).toBeGreaterThan(80_000)
  })

  it('keeps every line of the step, exactly once and in order, when it fits in the retained files - 3 MB step, --log-max-bytes 1000000 --log-keep 5', { timeout: 60_000 }, async (ctx) => {
    const server = await serverForTest({ pipeline: writer(3_000_000), args: ['--log-max-bytes', '1000000', '--log-keep', '5'] }, ctx)
    await startDaemon(server, { interval_seconds: 3600 })
    await waitForLog(server, /Pipeline execution finished: success/, 30_000)

    const files = retained(server, 5)
    expect(files.length).toBeGreaterThanOrEqual(4)
    expect(files.length).toBeLessThanOrEqual(5)
    const numbers = checkLines(files)
    const printed = Number(/\] \[stdout\] total (\d+)$/m.exec(files[files.length - 1]!.text)![1])
    expect(numbers).toHaveLength(printed)
    expectConsecutive(numbers)
    expect(numbers[0]).toBe(1)
    // The run's header is in the oldest file, its footer in the newest.
    expect(files[0]!.text).toContain('========== Pipeline execution started ==========')
    expect(files[files.length - 1]!.text).toMatch(/\[1\/1\] write finished: exit 0 in /)
  })
})
