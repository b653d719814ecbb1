/** The measurements of bench/cluster.ts, one function each; every process is killed by its pid. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { addLines } from '../adapters/redis/log-stream.js'
import { startRedis } from '../test/cluster/redis-server.js'
import { api, pipelineDir, startReplica, startWorker, type ClusterProcess } from '../test/cluster/support.js'
import { tempDir } from '../test/helpers/server.js'
import { waitFor } from '../test/helpers/wait.js'
import { load, merge, type LoadResult } from './lib/load.js'
import { startPc } from './lib/servers.js'
import { percentile } from './lib/stats.js'

export interface Latency {
  samples: number
  p50: number
  p99: number
  max: number
}

const latency = (xs: number[]): Latency => ({ samples: xs.length, p50: percentile(xs, 50), p99: percentile(xs, 99), max: Math.max(...xs) })

/** Each line of `file`: `<scheduled_at ISO> <step start ms>` → ms from the tick to the step's start. */
function lateness(file: string): number[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter(([slot, at]) => slot && at)
    .map(([slot, at]) => Number(at) - Date.parse(slot!))
}

const stepWriting = (file: string) => ({ name: 'tick', run: `echo "$PIPELINE_CRON_SCHEDULED_AT $(date +%s%3N)" >> ${file}` })

/** Tick to step start: 3 workers (cluster) against the local daemon, `ticks` 1 s ticks each. */
export async function tickToStep(ticks: number): Promise<{ cluster: Latency; local: Latency }> {
  const redis = await startRedis()
  const out = tempDir('pc-bench-')
  const procs: ClusterProcess[] = []
  try {
    const clusterFile = join(out, 'cluster.log')
    const { file } = pipelineDir({ name: 'latency', steps: [stepWriting(clusterFile)] })
    const replica = await startReplica(redis.url, file)
    procs.push(replica)
    for (let i = 0; i < 3; i++) procs.push(await startWorker(redis.url, file))
    await api(replica.url, '/api/cron/start', { method: 'POST', body: { interval_seconds: 1 } })
    await waitFor(() => lateness(clusterFile).length >= ticks, { timeoutMs: ticks * 2000 + 10_000, intervalMs: 200, what: 'cluster ticks' })
    await api(replica.url, '/api/cron/stop', { method: 'POST' })

    const localFile = join(out, 'local.log')
    const local = await startPc('node', { name: 'latency', steps: [stepWriting(localFile)] })
    try {
      await api(local.url, '/api/cron/start', { method: 'POST', body: { interval_seconds: 1 } })
      await waitFor(() => lateness(localFile).length >= ticks, { timeoutMs: ticks * 2000 + 10_000, intervalMs: 200, what: 'local ticks' })
      await api(local.url, '/api/cron/stop', { method: 'POST' })
    } finally {
      await local.cleanup()
    }
    return { cluster: latency(lateness(clusterFile).slice(0, ticks)), local: latency(lateness(localFile).slice(0, ticks)) }
  } finally {
    for (const p of procs) await p.kill('SIGKILL')
    await redis.stop()
  }
}

/** `count` pipelines every 10 s on 3 workers for `seconds`: lateness of every run, and ticks not run. */
export async function manyPipelines(count: number, seconds: number): Promise<{ runs: number; lateness: Latency; missed: number; skipped: number }> {
  const redis = await startRedis()
  const dir = tempDir('pc-bench-many-')
  const shared = join(dir, 'lateness.log')
  const pipelines = join(dir, 'pipelines')
  mkdirSync(pipelines)
  const names = Array.from({ length: count }, (_, i) => `p${String(i).padStart(2, '0')}`)
  for (const n of names) writeFileSync(join(pipelines, `${n}.json`), JSON.stringify({ name: n, steps: [stepWriting(shared)] }))
  const procs: ClusterProcess[] = []
  try {
    const flags = ['--pipelines', pipelines]
    const replica = await startReplica(redis.url, '', flags)
    procs.push(replica)
    for (let i = 0; i < 3; i++) procs.push(await startWorker(redis.url, '', [...flags, '--concurrency', '50']))
    for (const n of names) await api(replica.url, `/api/pipelines/${n}/start`, { method: 'POST', body: { interval_seconds: 10 } })
    await new Promise((r) => setTimeout(r, seconds * 1000))
    for (const n of names) await api(replica.url, `/api/pipelines/${n}/stop`, { method: 'POST' })
    const statuses: Record<string, number> = {}
    for (const n of names) for (const r of (await api(replica.url, `/api/pipelines/${n}/runs?limit=1000`)).body.runs) statuses[r.status] = (statuses[r.status] ?? 0) + 1
    const late = lateness(shared)
    return { runs: late.length, lateness: latency(late), missed: statuses.missed ?? 0, skipped: statuses.skipped ?? 0 }
  } finally {
    for (const p of procs) await p.kill('SIGKILL')
    await redis.stop()
  }
}

/** GET /api/cron/status from a replica and from the local server, interleaved rounds of `seconds`. */
export async function statusFromReplica(seconds: number, rounds: number): Promise<{ replica: LoadResult; local: LoadResult }> {
  const redis = await startRedis()
  const procs: ClusterProcess[] = []
  const { file } = pipelineDir({ name: 'status', steps: [{ name: 'noop', run: ['true'] }] })
  const local = await startPc('node', { name: 'status', steps: [{ name: 'noop', run: ['true'] }] })
  try {
    const replica = await startReplica(redis.url, file)
    procs.push(replica, await startWorker(redis.url, file))
    for (const url of [replica.url, local.url]) await api(url, '/api/cron/start', { method: 'POST', body: { interval_seconds: 3600 } })
    const got = { replica: [] as LoadResult[], local: [] as LoadResult[] }
    for (const url of [replica.url, local.url]) await load(`${url}/api/cron/status`, 10, 2)
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['replica', 'local'] as const) : (['local', 'replica'] as const)
      for (const which of order) got[which].push(await load(`${which === 'replica' ? replica.url : local.url}/api/cron/status`, 10, seconds))
    }
    for (const url of [replica.url, local.url]) await api(url, '/api/cron/stop', { method: 'POST' })
    return { replica: merge(got.replica), local: merge(got.local) }
  } finally {
    await local.cleanup()
    for (const p of procs) await p.kill('SIGKILL')
    await redis.stop()
  }
}

/** Redis memory for `lines` log lines of 67 bytes, uncapped, and what a cap of `cap` lines holds. */
export async function logMemory(lines: number, cap: number): Promise<{ bytesPerMillion: number; capped: { entries: number; bytes: number } }> {
  const server = await startRedis()
  const redis = new Redis(server.url)
  try {
    const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1])
    // 67 characters, a typical step output line with its timestamp and mark.
    const line = (i: number) => `[2026-12-01 10:00:00] [stdout] row ${String(i).padStart(9, '0')} ${'x'.repeat(22)}`
    const batch = (from: number, n: number) => Array.from({ length: n }, (_, k) => line(from + k))
    const before = await used()
    for (let i = 0; i < lines; i += 5000) await addLines(redis, 'bench:uncapped', lines * 2, batch(i, 5000))
    const uncapped = (await used()) - before
    await redis.del('bench:uncapped')
    const beforeCapped = await used()
    for (let i = 0; i < cap * 2; i += 5000) await addLines(redis, 'bench:capped', cap, batch(i, 5000))
    return { bytesPerMillion: (uncapped / lines) * 1_000_000, capped: { entries: await redis.xlen('bench:capped'), bytes: (await used()) - beforeCapped } }
  } finally {
    redis.disconnect()
    await server.stop()
  }
}
