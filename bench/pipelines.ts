/**
 * 7. Many pipelines, one daemon: the memory of 50 started, idle pipelines against one; the list
 * and one pipeline's status under load against bare node:http; and how late 50 runs due at the
 * same second start.
 */
import { call } from '../test/helpers/server.js'
import { waitFor } from '../test/helpers/wait.js'
import { load, merge, type LoadResult } from './lib/load.js'
import { loadAvg, sampleRss } from './lib/proc.js'
import { daemonPid, NOOP_PIPELINE, RUNTIMES, sleep, startBare, startPcPipelines, type Runtime, type TestServer } from './lib/servers.js'
import { max, mean, percentile } from './lib/stats.js'
import type { Profile } from './profile.js'
import { fmt, type Row } from './table.js'

/** How many pipelines the "many" setup has. */
export const MANY = 50
const NAMES = Array.from({ length: MANY }, (_, i) => `p${String(i + 1).padStart(2, '0')}`)
// Every other second, on the second: a runtime's 50 pipelines are due at the same instant, Node's
// on the even seconds and Bun's on the odd ones, so each has a second to itself.
const EVERY_OTHER_SECOND: Record<Runtime, string> = { node: '*/2 * * * * *', bun: '1-59/2 * * * * *' }
const TICK_MS = 2000

export const MANY_ENDPOINTS = ['/api/pipelines', `/api/pipelines/${NAMES[0]}/status`] as const
const TARGETS = ['bare', 'node', 'bun'] as const
type Target = (typeof TARGETS)[number]

/** A list of 50 is a large answer: bare node:http answering as many bytes is its second reference. */
export interface SizedReference {
  bytes: number
  result: LoadResult
}

export interface Memory {
  /** Peak VmRSS over the idle window, MB: server and daemon. */
  one: { server: number; daemon: number }
  many: { server: number; daemon: number }
}

export interface Lateness {
  /** started_at - scheduled_at of every pipeline at each tick, ms: ticks[k][i] is pipeline i at tick k. */
  ticks: number[][]
  /** The same for the first step's process (when the run's record was written and its step spawned). */
  firstStep: number[][]
  skipped: number
}

export interface ManyData {
  memory: Record<Runtime, Memory>
  http: Record<string, Record<Target, LoadResult>>
  /** bare node:http answering as many bytes as GET /api/pipelines, in the same rounds. */
  listSized: SizedReference
  lateness: Record<Runtime, Lateness>
  /** Load average before and after the ticks. */
  latenessLoad: [string, string]
}

export async function benchPipelines(p: Profile): Promise<{ rows: Row[]; data: ManyData }> {
  const memory = {} as Record<Runtime, Memory>
  const bare = await startBare()
  // Side by side on their own state dirs: one started pipeline, and fifty, on each runtime.
  const one = {} as Record<Runtime, TestServer>
  const many = {} as Record<Runtime, TestServer>
  let http: Pick<ManyData, 'http' | 'listSized'>
  try {
    for (const rt of RUNTIMES) {
      one[rt] = await startPcPipelines(rt, pipelinesNamed(NAMES.slice(0, 1)))
      many[rt] = await startPcPipelines(rt, pipelinesNamed(NAMES))
    }
    // Each pipeline runs once at start, then waits an hour: idle between runs.
    for (const rt of RUNTIMES) {
      await startAll(one[rt], NAMES.slice(0, 1), { interval_seconds: 3600 })
      await startAll(many[rt], NAMES, { interval_seconds: 3600 })
    }
    for (const rt of RUNTIMES) {
      await waitForFirstRuns(one[rt], 1)
      await waitForFirstRuns(many[rt], MANY)
    }
    await sleep(1000)
    const pids = RUNTIMES.flatMap((rt) => [one[rt], many[rt]].flatMap((s) => [s.pid, daemonPid(s)]))
    const rss = sampleRss(pids, 250)
    await sleep(p.pipelines.idleSeconds * 1000)
    const peaks = rss.stop()
    const pair = (s: TestServer) => ({ server: peaks.get(s.pid)!, daemon: peaks.get(daemonPid(s))! })
    for (const rt of RUNTIMES) memory[rt] = { one: pair(one[rt]), many: pair(many[rt]) }

    const listBytes = Buffer.byteLength((await call(many.node.url, 'GET', MANY_ENDPOINTS[0])).text)
    http = await loadEndpoints(p, { bare: bare.url, node: many.node.url, bun: many.bun.url }, listBytes)
  } finally {
    for (const s of [...Object.values(one), ...Object.values(many)]) await s.cleanup()
    await bare.close()
  }

  const lateness = await measureLateness(p.pipelines.ticks)
  const data: ManyData = { memory, ...http, ...lateness }
  return { rows: rowsOf(data), data }
}

/** The same no-op pipeline under every name. */
function pipelinesNamed(names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((name) => [name, { ...NOOP_PIPELINE, name }]))
}

async function startAll(s: TestServer, names: string[], body: Record<string, unknown>) {
  for (const name of names) {
    const res = await call(s.url, 'POST', `/api/pipelines/${name}/start`, { json: body })
    if (res.status !== 200) throw new Error(`start ${name} on ${s.url}: ${res.status} ${res.text}`)
  }
}

/** Waits until each of the `count` pipelines of `s` has finished its run at start. */
async function waitForFirstRuns(s: TestServer, count: number) {
  await waitFor(
    async () => {
      const res = await call(s.url, 'GET', '/api/pipelines')
      const rows = (res.body?.pipelines ?? []) as { last_run: unknown; current_run: unknown }[]
      return rows.length === count && rows.every((r) => r.last_run && !r.current_run)
    },
    { timeoutMs: 30_000, intervalMs: 200, what: `the first run of every pipeline on ${s.url}` },
  )
}

/**
 * Interleaved rounds per endpoint (bare, node, bun, then bun, node, bare, as section 1 does); the
 * list also against bare node:http answering as many bytes, first and last in each round.
 */
async function loadEndpoints(p: Profile, base: Record<Target, string>, listBytes: number): Promise<Pick<ManyData, 'http' | 'listSized'>> {
  const { connections, seconds, rounds, warmupSeconds } = p.http
  const http: ManyData['http'] = {}
  let listSized: SizedReference | null = null
  for (const path of MANY_ENDPOINTS) {
    const urls: Record<string, string> = { bare: base.bare + path, node: base.node + path, bun: base.bun + path }
    const targets: string[] = [...TARGETS]
    if (path === MANY_ENDPOINTS[0]) {
      urls.sized = `${base.bare}/bytes/${listBytes}`
      targets.push('sized')
    }
    const perTarget: Record<string, LoadResult[]> = Object.fromEntries(targets.map((t) => [t, []]))
    for (const t of targets) await load(urls[t]!, connections, warmupSeconds)
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? targets : [...targets].reverse()
      for (const t of order) perTarget[t]!.push(await load(urls[t]!, connections, seconds / rounds))
    }
    http[path] = { bare: merge(perTarget.bare!), node: merge(perTarget.node!), bun: merge(perTarget.bun!) }
    if (perTarget.sized) listSized = { bytes: listBytes, result: merge(perTarget.sized) }
  }
  return { http, listSized: listSized! }
}

/**
 * Fifty pipelines per runtime on a cron of every other second, Node and Bun side by side a second
 * apart; `ticks` ticks per pipeline after the last one started, each run's lateness read from its
 * pipeline's run history.
 */
async function measureLateness(ticks: number): Promise<Pick<ManyData, 'lateness' | 'latenessLoad'>> {
  const servers = {} as Record<Runtime, TestServer>
  try {
    for (const rt of RUNTIMES) servers[rt] = await startPcPipelines(rt, pipelinesNamed(NAMES))
    for (const rt of RUNTIMES) await startAll(servers[rt], NAMES, { cron: EVERY_OTHER_SECOND[rt] })
    // From here on every tick has all fifty pipelines due.
    const from = Date.now()
    const before = loadAvg()
    await sleep(ticks * TICK_MS)
    const lateness = {} as Record<Runtime, Lateness>
    for (const rt of RUNTIMES) {
      const s = servers[rt]
      const runsOf = async (name: string) => scheduledFrom((await call(s.url, 'GET', `/api/pipelines/${name}/runs?limit=${ticks + 20}`)).body.runs, from)
      await waitFor(async () => (await runsOf(NAMES.at(-1)!)).filter((r) => r.status !== 'running').length >= ticks, {
        timeoutMs: 30_000,
        intervalMs: 500,
        what: `${ticks} ticks of ${NAMES.at(-1)} on ${rt}`,
      })
      const perPipeline: RunLite[][] = []
      for (const name of NAMES) perPipeline.push((await runsOf(name)).slice(0, ticks))
      const fewest = Math.min(...perPipeline.map((runs) => runs.length))
      if (fewest < ticks) throw new Error(`${rt}: only ${fewest} of ${ticks} ticks recorded for some pipeline`)
      const tick = (k: number) => perPipeline.map((runs) => runs[k]!)
      const late = (at: string | null | undefined, r: RunLite) => Date.parse(at!) - Date.parse(r.scheduled_at)
      lateness[rt] = {
        ticks: Array.from({ length: ticks }, (_, k) => tick(k).map((r) => late(r.started_at, r))),
        // A skipped tick has no step.
        firstStep: Array.from({ length: ticks }, (_, k) => tick(k).filter((r) => r.steps[0]?.started_at).map((r) => late(r.steps[0]!.started_at, r))),
        skipped: perPipeline.flat().filter((r) => r.status === 'skipped').length,
      }
    }
    return { lateness, latenessLoad: [before, loadAvg()] }
  } finally {
    for (const s of Object.values(servers)) await s.cleanup()
  }
}

interface RunLite {
  status: string
  trigger: string
  scheduled_at: string
  started_at: string
  steps: { started_at: string | null }[]
}

/** Scheduled runs due at or after `from`, oldest first (the API lists newest first). */
function scheduledFrom(runs: RunLite[], from: number): RunLite[] {
  return runs
    .filter((r) => r.trigger === 'schedule' && r.scheduled_at && Date.parse(r.scheduled_at) >= from)
    .sort((a, b) => Date.parse(a.scheduled_at) - Date.parse(b.scheduled_at))
}

function rowsOf(d: ManyData): Row[] {
  const sum = (x: { server: number; daemon: number }) => x.server + x.daemon
  const extra = (rt: Runtime) => sum(d.memory[rt].many) - sum(d.memory[rt].one)
  const mem = (rt: Runtime) => `${fmt(sum(d.memory[rt].one), 0)} / ${fmt(sum(d.memory[rt].many), 0)}`
  const parts = (rt: Runtime) => `${fmt(d.memory[rt].many.server, 0)} + ${fmt(d.memory[rt].many.daemon, 0)}`
  const rows: Row[] = [
    { section: '7', measure: `RSS server + daemon MB, 1 / ${MANY} idle pipelines`, node: mem('node'), bun: mem('bun'), target: `${MANY}: < 250`, met: RUNTIMES.every((rt) => sum(d.memory[rt].many) < 250) },
    { section: '7', measure: `  ${MANY} pipelines: server + daemon MB`, node: parts('node'), bun: parts('bun') },
    { section: '7', measure: `  RSS for ${MANY - 1} more pipelines MB`, node: `+${fmt(extra('node'), 0)}`, bun: `+${fmt(extra('bun'), 0)}`, target: '<= +40', met: RUNTIMES.every((rt) => extra(rt) <= 40) },
  ]
  const share: Record<string, number> = { '/api/pipelines': 0.3 }
  for (const path of MANY_ENDPOINTS) {
    const { bare, node, bun } = d.http[path]!
    const broken = bare.bad + node.bad + bun.bad + (path === MANY_ENDPOINTS[0] ? d.listSized.result.bad : 0)
    const sized = path === MANY_ENDPOINTS[0] ? d.listSized : null
    const sizedRef = sized ? `; ${fmt(sized.result.rps, 0)} bare, ${fmt(sized.bytes / 1024, 1)} KiB` : ''
    rows.push({ section: '7', measure: `${path} req/s (${MANY} pipelines)`, node: fmt(node.rps, 0), bun: fmt(bun.rps, 0), ref: `${fmt(bare.rps, 0)} bare${sizedRef}` })
    rows.push({ section: '7', measure: `  p50 / p99 ms`, node: `${node.p50} / ${node.p99}`, bun: `${bun.p50} / ${bun.p99}`, ref: `${bare.p50} / ${bare.p99} bare` })
    const target = share[path]
    const bad = broken ? `${broken} bad answers` : ''
    rows.push({
      section: '7',
      measure: '  node/bare, bun/node',
      node: `${fmt((100 * node.rps) / bare.rps, 0)}%`,
      bun: `${fmt(bun.rps / node.rps, 2)}x`,
      target: [target ? `node >= ${target * 100}%` : '', bad].filter(Boolean).join('; ') || undefined,
      met: target || broken ? (!target || node.rps / bare.rps >= target) && broken === 0 : undefined,
    })
    if (sized) rows.push({ section: '7', measure: '  node/bare of the same size, bun/bare of the same size', node: `${fmt((100 * node.rps) / sized.result.rps, 0)}%`, bun: `${fmt((100 * bun.rps) / sized.result.rps, 0)}%` })
  }
  const all = (rt: Runtime) => d.lateness[rt].ticks.flat()
  const steps = (rt: Runtime) => d.lateness[rt].firstStep.flat()
  const lastPerTick = (rt: Runtime) => d.lateness[rt].ticks.map((tick) => max(tick))
  const both = (f: (rt: Runtime) => string) => ({ node: f('node'), bun: f('bun') })
  rows.push(
    {
      section: '7',
      measure: `run start lateness mean / max ms (${MANY} due at once, ${d.lateness.node.ticks.length} ticks)`,
      ...both((rt) => `${fmt(mean(all(rt)), 1)} / ${fmt(max(all(rt)), 0)}`),
      ref: `load ${d.latenessLoad[0]}`,
      target: 'mean <= 20, max <= 100',
      met: RUNTIMES.every((rt) => mean(all(rt)) <= 20 && max(all(rt)) <= 100),
    },
    { section: '7', measure: '  last of the 50 per tick: median / p90 ms', ...both((rt) => `${fmt(percentile(lastPerTick(rt), 50), 0)} / ${fmt(percentile(lastPerTick(rt), 90), 0)}`) },
    {
      section: '7',
      measure: '  first step spawned: mean / max ms; ticks skipped',
      ...both((rt) => `${fmt(mean(steps(rt)), 0)} / ${fmt(max(steps(rt)), 0)}; ${d.lateness[rt].skipped}`),
      ref: `load ${d.latenessLoad[1]} after`,
    },
  )
  return rows
}
