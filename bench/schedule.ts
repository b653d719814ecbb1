/** 3. Schedule accuracy: a 1 s interval for N ticks; lateness of each run start against t0 + k * interval. */
import { waitFor } from '../test/helpers/wait.js'
import { daemonState, RUNTIMES, runRecords, startDaemon, startPc, stopDaemon, type Runtime } from './lib/servers.js'
import { max, mean, slope } from './lib/stats.js'
import type { Profile } from './profile.js'
import { fmt, type Row } from './table.js'

const INTERVAL_MS = 1000

export interface Tick {
  k: number
  /** started_at - (t0 + k * interval) */
  latenessMs: number
  /** scheduled_at - (t0 + k * interval): 0 when no drift accumulates. */
  driftMs: number
}
export type ScheduleData = Record<Runtime, Tick[]>

export async function benchSchedule(p: Profile): Promise<{ rows: Row[]; data: ScheduleData }> {
  const servers = { node: await startPc('node'), bun: await startPc('bun') }
  try {
    // Both daemons tick side by side: one no-op run a second each costs next to nothing.
    const t0 = {} as Record<Runtime, number>
    for (const rt of RUNTIMES) {
      await startDaemon(servers[rt], { interval_seconds: INTERVAL_MS / 1000 })
      t0[rt] = Date.parse(daemonState(servers[rt]).started_at)
    }
    const data = {} as ScheduleData
    for (const rt of RUNTIMES) {
      await waitFor(() => ticksOf(runRecords(servers[rt]), t0[rt]).length >= p.schedule.ticks, {
        timeoutMs: (p.schedule.ticks + 15) * INTERVAL_MS,
        intervalMs: 200,
        what: `${p.schedule.ticks} ticks on ${rt}`,
      })
    }
    for (const rt of RUNTIMES) {
      await stopDaemon(servers[rt])
      data[rt] = ticksOf(runRecords(servers[rt]), t0[rt]).slice(0, p.schedule.ticks)
    }
    return { rows: rowsOf(data), data }
  } finally {
    for (const s of Object.values(servers)) await s.cleanup()
  }
}

/** Scheduled runs after the one at start (k >= 1); a skipped tick counts, with its own start time. */
function ticksOf(runs: ReturnType<typeof runRecords>, t0: number): Tick[] {
  return runs
    .filter((r) => r.trigger === 'schedule' && r.scheduled_at && Date.parse(r.scheduled_at) > t0)
    .map((r) => {
      const k = Math.round((Date.parse(r.scheduled_at!) - t0) / INTERVAL_MS)
      const ideal = t0 + k * INTERVAL_MS
      return { k, latenessMs: Date.parse(r.started_at) - ideal, driftMs: Date.parse(r.scheduled_at!) - ideal }
    })
    .sort((a, b) => a.k - b.k)
}

function rowsOf(d: ScheduleData): Row[] {
  const late = (rt: Runtime) => d[rt].map((t) => t.latenessMs)
  const trend = (rt: Runtime) => slope(d[rt].map((t) => t.k), late(rt))
  // The least-squares slope times the run's length: how much later the last tick is than the first, trend only.
  const rise = (rt: Runtime) => trend(rt) * d[rt].length
  const halves = (rt: Runtime) => {
    const l = late(rt)
    const h = Math.floor(l.length / 2)
    return `${fmt(mean(l.slice(0, h)), 1)} -> ${fmt(mean(l.slice(h)), 1)}`
  }
  const missing = (rt: Runtime) => d[rt].at(-1)!.k - new Set(d[rt].map((t) => t.k)).size
  const drift = (rt: Runtime) => max(d[rt].map((t) => Math.abs(t.driftMs)))
  return [
    { section: '3', measure: `lateness mean / max ms (${d.node.length} ticks)`, node: `${fmt(mean(late('node')), 1)} / ${fmt(max(late('node')), 0)}`, bun: `${fmt(mean(late('bun')), 1)} / ${fmt(max(late('bun')), 0)}`, target: 'mean <= 20, max <= 100', met: RUNTIMES.every((rt) => mean(late(rt)) <= 20 && max(late(rt)) <= 100) },
    {
      section: '3',
      measure: 'trend: fitted rise over the run ms (half means)',
      node: `${fmt(rise('node'), 1)} (${halves('node')})`,
      bun: `${fmt(rise('bun'), 1)} (${halves('bun')})`,
      target: 'no upward trend (rise < 10)',
      met: RUNTIMES.every((rt) => rise(rt) < 10),
    },
    { section: '3', measure: 'scheduled_at drift max ms, ticks missed', node: `${fmt(drift('node'), 0)}, ${missing('node')}`, bun: `${fmt(drift('bun'), 0)}, ${missing('bun')}`, target: '0, 0', met: RUNTIMES.every((rt) => drift(rt) === 0 && missing(rt) === 0) },
  ]
}
