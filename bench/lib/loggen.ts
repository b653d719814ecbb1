import { closeSync, openSync, writeSync } from 'node:fs'
import { MB } from './stats.js'

/**
 * Writes a log of about `bytes` bytes made of what the daemon really writes: run banners,
 * step lines, step stdout and stderr, with advancing timestamps. Returns the line count.
 * A pool of 1 MB blocks is built once and cycled: building every line of 1 GB takes minutes.
 */
export function writeRealisticLog(path: string, bytes: number): number {
  const t = Date.UTC(2026, 10, 1, 0, 0, 0)
  const pool = Array.from({ length: POOL }, (_, i) => buildBlock(t + i * 60_000, i, MB))
  const fd = openSync(path, 'w')
  let written = 0
  let lines = 0
  try {
    for (let i = 0; written < bytes; i++) {
      const left = bytes - written
      const block = left >= MB ? pool[i % POOL]! : buildBlock(t, i, left)
      written += writeSync(fd, block.text)
      lines += block.count
    }
  } finally {
    closeSync(fd)
  }
  return lines
}

const POOL = 16

const STEPS = ['exotel_api', 'transform', 'validate', 'load_warehouse', 'summary']

function buildBlock(t: number, block: number, budget: number): { text: string; count: number } {
  const out: string[] = []
  let size = 0
  let n = 0
  const push = (ts: number, text: string) => {
    const line = `[${stamp(ts)}] ${text}\n`
    out.push(line)
    size += line.length
    n++
  }
  while (size < budget) {
    push(t, '========== Pipeline execution started ==========')
    push(t, `Run 20261101T${String(block % 24).padStart(2, '0')}0000Z-${(block * 7919).toString(16).slice(-4).padStart(4, '0')} (trigger: schedule)`)
    for (let s = 0; s < STEPS.length && size < budget; s++) {
      push(t, `[${s + 1}/${STEPS.length}] Running ${STEPS[s]}...`)
      for (let i = 0; i < 40 && size < budget; i++) {
        if (i % 13 === 12) push(t, `[stderr] WARN ${STEPS[s]}: slow upstream response (attempt ${(i % 3) + 1}/3, ${120 + i * 7} ms), retrying`)
        else push(t, `[stdout] ${STEPS[s]}: processed batch ${block * 1000 + i} rows=500 bytes=${48_000 + i * 31} elapsed_ms=${12 + (i % 17)} status=ok`)
      }
      push(t, `[${s + 1}/${STEPS.length}] ${STEPS[s]} finished: exit 0 in ${(1 + (s % 3) * 0.37).toFixed(2)}s`)
      t += 1000
    }
    push(t, `========== Pipeline execution finished: success (5/5 steps, 12.3s) ==========`)
  }
  return { text: out.join(''), count: n }
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
}
