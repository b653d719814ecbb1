/** 5. Footprint: idle daemon and server memory and CPU over a window, and server memory under load. */
import { waitFor } from '../test/helpers/wait.js'
import { load } from './lib/load.js'
import { cpuSeconds, rssMB, sampleRss } from './lib/proc.js'
import { finished, RUNTIMES, sleep, startDaemon, startPc, stopDaemon, type Runtime } from './lib/servers.js'
import type { Profile } from './profile.js'
import { fmt, type Row } from './table.js'

export interface Footprint {
  daemonRssMB: number
  daemonCpuPct: number
  serverIdleRssMB: number
  serverIdleCpuPct: number
  serverLoadPeakRssMB: number
  serverAfterLoadRssMB: number
}
export type FootprintData = Record<Runtime, Footprint>

export async function benchFootprint(p: Profile): Promise<{ rows: Row[]; data: FootprintData }> {
  const servers = { node: await startPc('node'), bun: await startPc('bun') }
  try {
    const daemons = {} as Record<Runtime, number>
    for (const rt of RUNTIMES) {
      daemons[rt] = await startDaemon(servers[rt], { interval_seconds: 3600 })
      await waitFor(() => finished(servers[rt]).length >= 1, { timeoutMs: 15_000, what: `the first run on ${rt}` })
    }
    await sleep(1000)
    // The idle window: both daemons and both servers, side by side, doing nothing.
    const pids = RUNTIMES.flatMap((rt) => [daemons[rt], servers[rt].pid])
    const cpu0 = new Map(pids.map((pid) => [pid, cpuSeconds(pid)]))
    const rss = sampleRss(pids, 500)
    await sleep(p.footprint.idleSeconds * 1000)
    const cpuPct = (pid: number) => (100 * (cpuSeconds(pid) - cpu0.get(pid)!)) / p.footprint.idleSeconds
    const idleCpu = new Map(pids.map((pid) => [pid, cpuPct(pid)]))
    const idlePeak = rss.stop()

    const data = {} as FootprintData
    for (const rt of RUNTIMES) {
      const s = servers[rt]
      const sampler = sampleRss([s.pid], 20)
      await load(`${s.url}/api/cron/status`, 32, p.footprint.loadSeconds)
      const peak = sampler.stop().get(s.pid)!
      data[rt] = {
        daemonRssMB: idlePeak.get(daemons[rt])!,
        daemonCpuPct: idleCpu.get(daemons[rt])!,
        serverIdleRssMB: idlePeak.get(s.pid)!,
        serverIdleCpuPct: idleCpu.get(s.pid)!,
        serverLoadPeakRssMB: peak,
        serverAfterLoadRssMB: (await sleep(1000), rssMB(s.pid)),
      }
      await stopDaemon(s)
    }
    return { rows: rowsOf(data, p), data }
  } finally {
    for (const s of Object.values(servers)) await s.cleanup()
  }
}

function rowsOf(d: FootprintData, p: Profile): Row[] {
  const both = (f: (x: Footprint) => number, digits = 0) => ({ node: fmt(f(d.node), digits), bun: fmt(f(d.bun), digits) })
  return [
    { section: '5', measure: `idle daemon RSS MB (${p.footprint.idleSeconds} s)`, ...both((x) => x.daemonRssMB), target: '<= 60 on node', met: d.node.daemonRssMB <= 60 },
    { section: '5', measure: 'idle daemon CPU %', ...both((x) => x.daemonCpuPct, 2), target: '<= 1', met: d.node.daemonCpuPct <= 1 && d.bun.daemonCpuPct <= 1 },
    { section: '5', measure: 'idle server RSS MB / CPU %', node: `${fmt(d.node.serverIdleRssMB, 0)} / ${fmt(d.node.serverIdleCpuPct, 2)}`, bun: `${fmt(d.bun.serverIdleRssMB, 0)} / ${fmt(d.bun.serverIdleCpuPct, 2)}` },
    { section: '5', measure: `server RSS MB under load: peak / 1 s after`, node: `${fmt(d.node.serverLoadPeakRssMB, 0)} / ${fmt(d.node.serverAfterLoadRssMB, 0)}`, bun: `${fmt(d.bun.serverLoadPeakRssMB, 0)} / ${fmt(d.bun.serverAfterLoadRssMB, 0)}`, ref: `32 conn. on /status, ${p.footprint.loadSeconds} s` },
  ]
}
