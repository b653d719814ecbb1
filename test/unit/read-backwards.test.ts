/** Reading a file's lines from the end: the same lines as a plain split, in linear time, with bounds. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { linesFromEnd, type ReadBackwardsOptions, type SkippedLine } from '../../adapters/posix/read-backwards.js'

const dir = mkdtempSync(join(tmpdir(), 'pc-read-back-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0

async function read(content: string | Buffer, o: ReadBackwardsOptions = {}) {
  const file = join(dir, `f${n++}`)
  writeFileSync(file, content)
  const skipped: SkippedLine[] = []
  const lines: string[] = []
  for await (const line of linesFromEnd(file, { ...o, onSkip: (s) => skipped.push(s) })) lines.push(line.toString('utf8'))
  return { lines: lines.reverse(), skipped }
}

/** What readlines() gives, without the "\n"s (as before, a file of a lone "\n" has no line). */
const plain = (text: string) => (text === '' || text === '\n' ? [] : text.replace(/\n$/, '').split('\n'))

describe('linesFromEnd', () => {
  it('yields the lines of a plain split - lines across 64 KiB block edges, empty lines, no final newline', async () => {
    const long = 'y'.repeat(64 * 1024 - 1)
    const cases = ['', '\n', '\n\n', 'a', 'a\n', '\na', 'a\n\nb\n', `${long}\n${long}x\n\n${'z'.repeat(200_000)}`, `${long}\n`, `${'k'.repeat(64 * 1024)}\nq`]
    for (const text of cases) expect((await read(text)).lines, JSON.stringify(text.slice(0, 20))).toEqual(plain(text))
  })

  it('skips a line over maxLine and reports where it is - a 5 MB line between records', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024)
    const { lines, skipped } = await read(`a\nb\n${big}\nc\n`, { maxLine: 1024 * 1024 })
    expect(lines).toEqual(['a', 'b', 'c'])
    expect(skipped).toEqual([{ offset: 4, bytes: big.length, why: 'too long' }])
  })

  it('keeps a line of exactly maxLine bytes - the bound is inclusive', async () => {
    const edge = 'e'.repeat(100_000)
    const { lines, skipped } = await read(`${edge}\n${edge}e\n`, { maxLine: 100_000 })
    expect(lines).toEqual([edge])
    expect(skipped).toEqual([{ offset: 100_001, bytes: 100_001, why: 'too long' }])
  })

  it('skips the last line only when asked - a tail without "\\n"', async () => {
    expect((await read('a\nb\ntorn')).lines).toEqual(['a', 'b', 'torn'])
    const { lines, skipped } = await read('a\nb\ntorn', { skipUnterminated: true })
    expect(lines).toEqual(['a', 'b'])
    expect(skipped).toEqual([{ offset: 4, bytes: 4, why: 'unterminated' }])
  })

  it('reads 20 MB in one line in under 2 s (about 0.1 s here) - a line with no newline at all', async () => {
    const text = 'x'.repeat(20 * 1024 * 1024)
    const t0 = performance.now()
    const bounded = await read(text, { maxLine: 1024 * 1024, skipUnterminated: true })
    const t1 = performance.now()
    const whole = await read(text)
    const t2 = performance.now()
    expect(bounded.lines).toEqual([])
    expect(bounded.skipped).toEqual([{ offset: 0, bytes: text.length, why: 'unterminated' }])
    expect(whole.lines).toEqual([text])
    // Quadratic (a copy and a scan of the line so far per block) took tens of seconds.
    expect(t1 - t0).toBeLessThan(2000)
    expect(t2 - t1).toBeLessThan(2000)
  })
})
