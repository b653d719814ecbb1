/** 4. Log capture: a step flooding stdout, against the same command redirected to a file. */
import { spawn } from 'node:child_process'
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ROOT } from '../test/helpers/server.js'
import { waitFor } from '../test/helpers/wait.js'
import { peakRssMB } from './lib/proc.js'
import { finished, startDaemon, startPc, stopDaemon, type Runtime, type TestServer } from './lib/servers.js'
import { mean } from './lib/stats.js'
import type { Profile } from './profile.js'
import { fmt, type Row } from './table.js'

const FLOOD = join(ROOT, 'bench', 'fixtures', 'flood.mjs')
const LINE_BYTES = 100
// Rotation stays on (50 MB files, the default) but keeps every file, so each line can be counted.
const KEEP = 20

export interface CaptureRun {
  mbPerS: number
  peakRssMB: number
  lines: number
  inOrder: boolean
}
export type CaptureData = { lines: number; redirectMbPerS: number[] } & Record<Runtime, CaptureRun>

export async function benchCapture(p: Profile): Promise<{ rows: Row[]; data: CaptureData }> {
  const lines = Math.round((p.capture.megabytes * 1e6) / LINE_BYTES)
  const cmd = `node ${FLOOD} ${lines}`
  // Redirect before and after the daemons: their mean is the reference.
  const before = await redirected(cmd, lines)
  const node = await captured('node', cmd, lines)
  const bun = await captured('bun', cmd, lines)
  const after = await redirected(cmd, lines)
  const data: CaptureData = { lines, redirectMbPerS: [before, after], node, bun }
  return { rows: rowsOf(data), data }
}

/** The same command with stdout redirected to a file by the shell: MB/s. */
async function redirected(cmd: string, lines: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'pc-bench-redirect-'))
  try {
    const t0 = performance.now()
    await new Promise<void>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', `${cmd} > ${join(dir, 'out.log')}`], { stdio: 'ignore' })
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd}: exit ${code}`))))
    })
    return (lines * LINE_BYTES) / 1e6 / ((performance.now() - t0) / 1000)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The command as the daemon's only step: MB/s from the step's recorded duration, daemon peak RSS, lines in the log. */
async function captured(rt: Runtime, cmd: string, lines: number): Promise<CaptureRun> {
  const s = await startPc(rt, { name: 'flood', steps: [{ name: 'flood', run: cmd }] }, ['--log-keep', String(KEEP)])
  try {
    const pid = await startDaemon(s, { interval_seconds: 3600 })
    const [run] = await waitFor(() => (finished(s).length ? finished(s) : null), { timeoutMs: 120_000, intervalMs: 100, what: `the flood run on ${rt}` })
    // VmHWM while the daemon is still alive: its peak over the whole run.
    const peak = peakRssMB(pid)
    await stopDaemon(s)
    if (run!.status !== 'success') throw new Error(`flood run on ${rt}: ${run!.status}`)
    const counted = await countFloodLines(s)
    return { mbPerS: (lines * LINE_BYTES) / 1e6 / (run!.steps[0]!.duration_ms / 1000), peakRssMB: peak, ...counted }
  } finally {
    await s.cleanup()
  }
}

/** Counts the flood's lines over the rotated files, oldest first, and checks their sequence numbers. */
async function countFloodLines(s: TestServer): Promise<{ lines: number; inOrder: boolean }> {
  const files = [...Array.from({ length: KEEP }, (_, i) => `${s.logFile}.${KEEP - i}`), s.logFile].filter(existsSync)
  let count = 0
  let inOrder = true
  for (const f of files) {
    for await (const line of createInterface({ input: createReadStream(f), crlfDelay: Infinity })) {
      const at = line.indexOf(' flood seq=')
      if (at === -1) continue
      count++
      if (Number(line.slice(at + 11, at + 20)) !== count) inOrder = false
    }
  }
  return { lines: count, inOrder }
}

function rowsOf(d: CaptureData): Row[] {
  const ref = mean(d.redirectMbPerS)
  const share = (rt: Runtime) => d[rt].mbPerS / ref
  const exact = (rt: Runtime) => d[rt].lines === d.lines && d[rt].inOrder
  return [
    { section: '4', measure: `capture ${fmt((d.lines * LINE_BYTES) / 1e6, 0)} MB: MB/s`, node: fmt(d.node.mbPerS, 0), bun: fmt(d.bun.mbPerS, 0), ref: `${fmt(ref, 0)} redirect` },
    { section: '4', measure: 'capture / redirect', node: `${fmt(100 * share('node'), 0)}%`, bun: `${fmt(100 * share('bun'), 0)}%`, target: '>= 50%', met: share('node') >= 0.5 && share('bun') >= 0.5 },
    { section: '4', measure: 'daemon peak RSS MB', node: fmt(d.node.peakRssMB, 0), bun: fmt(d.bun.peakRssMB, 0), target: '<= 150', met: d.node.peakRssMB <= 150 && d.bun.peakRssMB <= 150 },
    { section: '4', measure: 'lines in the log (in order)', node: `${d.node.lines}${d.node.inOrder ? '' : ' (out of order)'}`, bun: `${d.bun.lines}${d.bun.inOrder ? '' : ' (out of order)'}`, ref: `${d.lines} written`, target: 'exact', met: exact('node') && exact('bun') },
  ]
}
