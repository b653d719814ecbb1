/**
 * Size-based rotation under a step that writes a lot (500 MB). Each retained file stays within
 * max_bytes (so all of them within max_bytes x (keep + 1)), no line is torn, and the retained lines
 * are an exact, gap-free suffix of what the step printed (all of it when it fits).
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createFileLogWriter } from '../../adapters/posix/log-writer.js'
import { tempDir } from '../helpers/server.js'
import { LOG_LINE, localFixture, serverForTest, startDaemon, waitForLog, type TestServer } from './support.js'

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

/** The lines of `path`, `.1` … `.keep` oldest first, with each file's size. */
function filesOf(path: string, keep: number): { size: number; lines: string[] }[] {
  return [...Array.from({ length: keep }, (_, i) => `${path}.${keep - i}`), path].flatMap((file) => {
    try {
      const text = readFileSync(file, 'utf8')
      return [{ size: statSync(file).size, lines: text.split('\n').slice(0, -1) }]
    } catch {
      return []
    }
  })
}

describe('the log writer\'s size bound', () => {
  const numbered = (from: number, count: number, width: number) =>
    Array.from({ length: count }, (_, i) => `line ${from + i} `.padEnd(width, 'x')).join('\n') + '\n'

  it('keeps every rotated file within --log-max-bytes 2000 when one write of 6474 bytes crosses it, each line whole and in order', (ctx) => {
    const dir = tempDir('pc-rotate-')
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const log = join(dir, 'pipeline.log')
    const writer = createFileLogWriter(log, 2000, 5)
    writer.append(numbered(1, 5, 99)) // 500 bytes already in the file
    const batch = numbered(6, 65, 99) + 'line 71 xx\n' // 6,500 + 11 bytes: one append, as a step's burst arrives
    expect(Buffer.byteLength(batch)).toBeGreaterThan(6474)
    writer.append(batch)
    writer.close()

    const files = filesOf(log, 5)
    const sizes = files.map((f) => f.size)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2000) // was 6,874: the whole write went in, then the file was rotated
    expect(Math.min(...sizes.slice(0, -1))).toBeGreaterThan(1900) // rotated files are full to within a line
    const lines = files.flatMap((f) => f.lines)
    expect(lines.map((l) => Number(/^line (\d+) x*$/.exec(l)![1]))).toEqual(Array.from({ length: 71 }, (_, i) => i + 1))
  })

  it('puts a line longer than the limit alone in its file, and the lines after it in the next', (ctx) => {
    const dir = tempDir('pc-rotate-')
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const log = join(dir, 'pipeline.log')
    const writer = createFileLogWriter(log, 1024, 3)
    writer.append(numbered(1, 2, 99) + numbered(3, 1, 3000) + numbered(4, 2, 99))
    writer.close()

    expect(filesOf(log, 3).map((f) => [f.size, f.lines.map((l) => l.slice(0, 6))])).toEqual([
      [200, ['line 1', 'line 2']],
      [3001, ['line 3']],
      [200, ['line 4', 'line 5']],
    ])
  })

  it('writes into a file a clear emptied, without rotating it early - the writer\'s count of bytes was stale', (ctx) => {
    const dir = tempDir('pc-rotate-')
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const log = join(dir, 'pipeline.log')
    const writer = createFileLogWriter(log, 2000, 3)
    writer.append(numbered(1, 15, 99))
    writeFileSync(log, '') // a clear truncates in place
    writer.append(numbered(16, 10, 99))
    writer.close()

    expect(filesOf(log, 3).map((f) => f.lines.length)).toEqual([10])
  })
})

describe('log rotation', () => {
  it('keeps log + .1 + .2 within max_bytes x 3, each file within max_bytes, with no torn line and a gap-free tail - 500 MB step, --log-max-bytes 5000000 --log-keep 2', { timeout: 120_000 }, async (ctx) => {
    const max = 5_000_000
    const server = await serverForTest({ pipeline: writer(500_000_000), args: ['--log-max-bytes', String(max), '--log-keep', '2'] }, ctx)
    await startDaemon(server, { interval_seconds: 3600 })
    await waitForLog(server, /Pipeline execution finished: success/, 80_000)

    const files = retained(server, 2)
    expect(files.map((f) => f.file)).toEqual([`${server.logFile}.2`, `${server.logFile}.1`, server.logFile])
    const total = files.reduce((n, f) => n + f.size, 0)
    expect(total).toBeLessThanOrEqual(max * 3)
    // A file is rotated before a write would carry it past max_bytes: the rotated ones are full to within a line.
    for (const f of files.slice(0, 2)) {
      expect(f.size).toBeLessThanOrEqual(max)
      expect(f.size).toBeGreaterThan(max - 200)
    }
    expect(files[2]!.size).toBeLessThanOrEqual(max)

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
