/** 6. Start and stop latency: POST start to the first step's first log line; POST stop on an idle daemon. */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import { call } from '../test/helpers/server.js'
import { waitFor } from '../test/helpers/wait.js'
import { RUNTIMES, sleep, startPc, type Runtime, type TestServer } from './lib/servers.js'
import { max, median } from './lib/stats.js'
import type { Profile } from './profile.js'
import { fmt, type Row } from './table.js'

const MARK = 'bench-first-line'
const PIPELINE = { name: 'first-line', steps: [{ name: 'echo', run: ['/bin/echo', MARK] }] }

export interface StartStop {
  /** POST start sent -> the step's line is in the log file. */
  firstLineMs: number[]
  /** POST start sent -> its 200 answer. */
  startAnswerMs: number[]
  /** POST stop sent -> its 200 answer, the daemon idle. */
  stopMs: number[]
}
export type StartStopData = Record<Runtime, StartStop>

export async function benchStartStop(p: Profile): Promise<{ rows: Row[]; data: StartStopData }> {
  const data = {} as StartStopData
  for (const rt of RUNTIMES) {
    const s = await startPc(rt, PIPELINE)
    try {
      data[rt] = { firstLineMs: [], startAnswerMs: [], stopMs: [] }
      // One start/stop first, untimed: the first spawn of a runtime pays for cold disk caches.
      for (let i = 0; i <= p.startStop.iterations; i++) {
        const r = await cycle(s)
        if (i === 0) continue
        data[rt].firstLineMs.push(r.firstLineMs)
        data[rt].startAnswerMs.push(r.startAnswerMs)
        data[rt].stopMs.push(r.stopMs)
      }
    } finally {
      await s.cleanup()
    }
  }
  return { rows: rowsOf(data, p), data }
}

async function cycle(s: TestServer) {
  const log = logWatcher(s.logFile)
  const t0 = performance.now()
  let startAnswerMs = NaN
  const started = call(s.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } }).then((res) => {
    startAnswerMs = performance.now() - t0
    if (res.status !== 200) throw new Error(`start: ${res.status} ${res.text}`)
  })
  // Polled every millisecond: the figure is exact to about 1 ms.
  await waitFor(() => log.has(MARK), { timeoutMs: 15_000, intervalMs: 1, what: 'the first line' })
  const firstLineMs = performance.now() - t0
  await started
  await waitFor(() => log.has('Pipeline execution finished'), { timeoutMs: 15_000, intervalMs: 5, what: 'the run to finish' })
  await sleep(300)
  const t1 = performance.now()
  const res = await call(s.url, 'POST', '/api/cron/stop')
  const stopMs = performance.now() - t1
  if (res.status !== 200) throw new Error(`stop: ${res.status} ${res.text}`)
  log.close()
  return { firstLineMs, startAnswerMs, stopMs }
}

/** Reads what is appended to a file after now; `has(text)` checks the new part. */
function logWatcher(file: string) {
  let offset = existsSync(file) ? statSync(file).size : 0
  let fd: number | null = null
  let text = ''
  const buf = Buffer.alloc(64 * 1024)
  return {
    has(needle: string) {
      if (fd === null) {
        if (!existsSync(file)) return false
        fd = openSync(file, 'r')
      }
      for (let n; (n = readSync(fd, buf, 0, buf.length, offset)) > 0; offset += n) text += buf.toString('utf8', 0, n)
      return text.includes(needle)
    },
    close() {
      if (fd !== null) closeSync(fd)
    },
  }
}

function rowsOf(d: StartStopData, p: Profile): Row[] {
  const ms = (xs: number[]) => `${fmt(median(xs), 0)} / ${fmt(max(xs), 0)}`
  return [
    { section: '6', measure: `start -> first step line, median / max ms (${p.startStop.iterations}x)`, node: ms(d.node.firstLineMs), bun: ms(d.bun.firstLineMs), target: '<= 300 on node', met: median(d.node.firstLineMs) <= 300 },
    { section: '6', measure: 'start -> 200 answer, median / max ms', node: ms(d.node.startAnswerMs), bun: ms(d.bun.startAnswerMs) },
    { section: '6', measure: 'stop (idle daemon), median / max ms', node: ms(d.node.stopMs), bun: ms(d.bun.stopMs), target: '<= 200', met: median(d.node.stopMs) <= 200 && median(d.bun.stopMs) <= 200 },
  ]
}
