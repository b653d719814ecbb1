/** 2. Tail cost against file size (1 MB, 100 MB, 1 GB), and the full-file GET /api/cron/logs on 50 MB. */
import { spawn } from 'node:child_process'
import { linkSync, mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeRealisticLog } from './lib/loggen.js'
import { rssMB, sampleRss } from './lib/proc.js'
import { keepAlive, RUNTIMES, sleep, startPc, track, timedGet, timedSeries, type Runtime, type TestServer } from './lib/servers.js'
import { max, median, MB, percentile } from './lib/stats.js'
import type { Profile } from './profile.js'
import { fmt, type Row } from './table.js'

const ROUNDS = 10

export interface TailPoint {
  sizeMB: number
  tailMs: number
  logsMs: number
  rssMB: number
}
export interface FullFile {
  mbPerS: number
  idleRssMB: number
  peakRssMB: number
  healthP50: number
  healthP99: number
  healthMax: number
  probes: number
  lineCountOk: boolean
}
export type TailData = Record<Runtime, { points: TailPoint[]; fullFile: FullFile }>

export async function benchTail(p: Profile): Promise<{ rows: Row[]; data: TailData }> {
  const dir = mkdtempSync(join(tmpdir(), 'pc-bench-logs-'))
  const untrack = track(() => rmSync(dir, { recursive: true, force: true }))
  const servers = { node: await startPc('node'), bun: await startPc('bun') }
  try {
    const data = { node: { points: [] }, bun: { points: [] } } as unknown as TailData
    // Every size is generated first, then measured in rounds (each size hard-linked in turn as the
    // servers' log): warm-up and any drift in the machine's load hit all sizes alike.
    const files = p.tail.sizesMB.map((sizeMB) => {
      const file = join(dir, `${sizeMB}MB.log`)
      writeRealisticLog(file, sizeMB * MB)
      return file
    })
    // JIT warm-up on the smallest file first, so the first size measured is not the cold one.
    for (const rt of RUNTIMES) {
      linkSync(files[0]!, servers[rt].logFile)
      for (const path of ['/api/cron/logs/tail?lines=50', '/api/cron/logs?lines=50']) await timedSeries(servers[rt].url + path, 300, 0)
      unlinkSync(servers[rt].logFile)
    }
    const samples = RUNTIMES.map(() => p.tail.sizesMB.map(() => ({ tail: [] as number[], logs: [] as number[] })))
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, file] of files.entries()) {
        for (const [r, rt] of RUNTIMES.entries()) {
          linkSync(file, servers[rt].logFile)
          const n = Math.ceil(p.tail.requests / ROUNDS)
          samples[r]![i]!.tail.push(...(await timedSeries(`${servers[rt].url}/api/cron/logs/tail?lines=50`, n, 5)))
          samples[r]![i]!.logs.push(...(await timedSeries(`${servers[rt].url}/api/cron/logs?lines=50`, n, 5)))
          unlinkSync(servers[rt].logFile)
        }
      }
    }
    for (const [r, rt] of RUNTIMES.entries()) {
      for (const [i, sizeMB] of p.tail.sizesMB.entries()) {
        const { tail, logs } = samples[r]![i]!
        data[rt].points.push({ sizeMB, tailMs: median(tail), logsMs: median(logs), rssMB: NaN })
      }
    }
    // Memory after serving each size, biggest last: flat means nothing of the file is kept.
    for (const [i, file] of files.entries()) {
      for (const rt of RUNTIMES) {
        linkSync(file, servers[rt].logFile)
        await timedSeries(`${servers[rt].url}/api/cron/logs/tail?lines=50`, 20, 0)
        data[rt].points[i]!.rssMB = rssMB(servers[rt].pid)
        unlinkSync(servers[rt].logFile)
      }
      rmSync(file)
    }
    const file = join(dir, 'full.log')
    const lines = writeRealisticLog(file, p.tail.fullFileMB * MB)
    for (const rt of RUNTIMES) {
      linkSync(file, servers[rt].logFile)
      data[rt].fullFile = await fullFile(servers[rt], statSync(file).size, lines)
      unlinkSync(servers[rt].logFile)
    }
    return { rows: rowsOf(data, p), data }
  } finally {
    for (const s of Object.values(servers)) await s.cleanup()
    rmSync(dir, { recursive: true, force: true })
    untrack()
  }
}

/** GET /api/cron/logs (whole file) with curl, while /health is probed every 5 ms and the server's RSS sampled. */
async function fullFile(s: TestServer, bytes: number, lines: number): Promise<FullFile> {
  await sleep(500)
  const idleRssMB = rssMB(s.pid)
  const agent = keepAlive()
  await timedGet(`${s.url}/health`, agent) // connect before the clock starts
  const rss = sampleRss([s.pid], 5)
  const t0 = performance.now()
  // curl in its own process: the client's work must not delay the /health probes timed here.
  const curl = spawn('sh', ['-c', `curl -sS --max-time 120 '${s.url}/api/cron/logs' | tail -c 40`], { stdio: ['ignore', 'pipe', 'inherit'] })
  let tailOut = ''
  curl.stdout.on('data', (d) => (tailOut += d))
  const done = new Promise<number>((r) => curl.once('exit', () => r(performance.now() - t0)))
  let running = true
  void done.then(() => (running = false))
  const probes: number[] = []
  while (running) {
    probes.push((await timedGet(`${s.url}/health`, agent)).ms)
    await sleep(5)
  }
  agent.destroy()
  const ms = await done
  const peak = rss.stop().get(s.pid)!
  const count = /"line_count":(\d+)\}$/.exec(tailOut.trim())?.[1]
  return {
    mbPerS: bytes / MB / (ms / 1000),
    idleRssMB,
    peakRssMB: peak,
    healthP50: median(probes),
    healthP99: percentile(probes, 99),
    healthMax: max(probes),
    probes: probes.length,
    lineCountOk: Number(count) === lines,
  }
}

function rowsOf(d: TailData, p: Profile): Row[] {
  const first = (rt: Runtime) => d[rt].points[0]!
  const last = (rt: Runtime) => d[rt].points[d[rt].points.length - 1]!
  const big = `${p.tail.sizesMB.at(-1)! >= 1024 ? `${p.tail.sizesMB.at(-1)! / 1024} GB` : `${p.tail.sizesMB.at(-1)} MB`}`
  const rows: Row[] = []
  for (const kind of ['tail', 'logs'] as const) {
    const key = kind === 'tail' ? 'tailMs' : 'logsMs'
    const label = kind === 'tail' ? 'tail?lines=50' : 'logs?lines=50'
    const ms = (rt: Runtime) => d[rt].points.map((pt) => fmt(pt[key], 2)).join(' / ')
    rows.push({ section: '2', measure: `${label} median ms (${p.tail.sizesMB.join(' / ')} MB)`, node: ms('node'), bun: ms('bun') })
    const ratio = (rt: Runtime) => last(rt)[key] / first(rt)[key]
    rows.push({
      section: '2',
      measure: `${label} ${big} / 1 MB`,
      node: fmt(ratio('node'), 2),
      bun: fmt(ratio('bun'), 2),
      target: '<= 1.5',
      met: ratio('node') <= 1.5 && ratio('bun') <= 1.5,
    })
  }
  const rss = (rt: Runtime) => d[rt].points.map((pt) => fmt(pt.rssMB, 0)).join(' / ')
  const growth = (rt: Runtime) => last(rt).rssMB - first(rt).rssMB
  rows.push({ section: '2', measure: `server RSS MB after each size`, node: rss('node'), bun: rss('bun'), target: 'flat (< +10 MB)', met: growth('node') < 10 && growth('bun') < 10 })
  const f = (rt: Runtime) => d[rt].fullFile
  const mb = p.tail.fullFileMB
  rows.push({ section: '2', measure: `full logs (${mb} MB) MB/s`, node: fmt(f('node').mbPerS, 0), bun: fmt(f('bun').mbPerS, 0), target: `complete, line_count right`, met: f('node').lineCountOk && f('bun').lineCountOk })
  rows.push({
    section: '2',
    measure: `full logs peak RSS MB (idle)`,
    node: `${fmt(f('node').peakRssMB, 0)} (${fmt(f('node').idleRssMB, 0)})`,
    bun: `${fmt(f('bun').peakRssMB, 0)} (${fmt(f('bun').idleRssMB, 0)})`,
    target: `< ${3 * mb} (3x file)`,
    met: f('node').peakRssMB < 3 * mb && f('bun').peakRssMB < 3 * mb,
  })
  rows.push({
    section: '2',
    measure: `/health during it p50 / p99 / max ms`,
    node: `${fmt(f('node').healthP50, 2)} / ${fmt(f('node').healthP99, 2)} / ${fmt(f('node').healthMax, 1)}`,
    bun: `${fmt(f('bun').healthP50, 2)} / ${fmt(f('bun').healthP99, 2)} / ${fmt(f('bun').healthMax, 1)}`,
    ref: `${f('node').probes} / ${f('bun').probes} probes`,
    // The median: with a few dozen probes, p99 is the single worst one (a scheduler hiccup on a busy box).
    target: 'median < 5',
    met: f('node').healthP50 < 5 && f('bun').healthP50 < 5,
  })
  return rows
}
