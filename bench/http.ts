/** 1. HTTP: req/s and p50/p99 for three endpoints on Node, Bun and bare node:http, interleaved. */
import { load, merge, type LoadResult } from './lib/load.js'
import { writeRealisticLog } from './lib/loggen.js'
import { finished, startBare, startDaemon, startPc } from './lib/servers.js'
import { MB } from './lib/stats.js'
import { waitFor } from '../test/helpers/wait.js'
import type { Profile } from './profile.js'
import { fmt, type Row } from './table.js'

export const ENDPOINTS = ['/health', '/api/cron/status', '/api/cron/logs/tail?lines=50'] as const
const TARGETS = ['bare', 'node', 'bun'] as const
type Target = (typeof TARGETS)[number]
export type HttpData = Record<string, Record<Target, LoadResult>>

export async function benchHttp(p: Profile): Promise<{ rows: Row[]; data: HttpData }> {
  const { connections, seconds, rounds, warmupSeconds } = p.http
  const bare = await startBare()
  const node = await startPc('node')
  const bun = await startPc('bun')
  try {
    // A real-looking 1 MB log, and a running daemon with a long interval (its first run done).
    for (const s of [node, bun]) {
      writeRealisticLog(s.logFile, MB)
      await startDaemon(s, { interval_seconds: 3600 })
      await waitFor(() => finished(s).length >= 1, { timeoutMs: 15_000, what: 'the first run' })
    }
    const urls: Record<Target, string> = { bare: bare.url, node: node.url, bun: bun.url }
    const data: HttpData = {}
    for (const path of ENDPOINTS) {
      const perTarget: Record<Target, LoadResult[]> = { bare: [], node: [], bun: [] }
      for (const t of TARGETS) await load(urls[t] + path, connections, warmupSeconds)
      // ABC then CBA: a load change on the machine during the endpoint hits all three alike.
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? TARGETS : [...TARGETS].reverse()
        for (const t of order) perTarget[t].push(await load(urls[t] + path, connections, seconds / rounds))
      }
      data[path] = { bare: merge(perTarget.bare), node: merge(perTarget.node), bun: merge(perTarget.bun) }
    }
    return { rows: rowsOf(data), data }
  } finally {
    await node.cleanup()
    await bun.cleanup()
    await bare.close()
  }
}

function rowsOf(data: HttpData): Row[] {
  const rows: Row[] = []
  const nodeShare: Record<string, number> = { '/health': 0.6, '/api/cron/status': 0.5 }
  for (const path of ENDPOINTS) {
    const { bare, node, bun } = data[path]!
    const broken = bare.bad + node.bad + bun.bad
    const label = path.replace('/api/cron', '').replace('?lines=50', '?50')
    rows.push({ section: '1', measure: `${label} req/s`, node: fmt(node.rps, 0), bun: fmt(bun.rps, 0), ref: `${fmt(bare.rps, 0)} bare` })
    rows.push({
      section: '1',
      measure: `${label} p50 / p99 ms`,
      node: `${node.p50} / ${node.p99}`,
      bun: `${bun.p50} / ${bun.p99}`,
      ref: `${bare.p50} / ${bare.p99} bare`,
    })
    const share = nodeShare[path]
    const nodeOk = share === undefined || node.rps / bare.rps >= share
    rows.push({
      section: '1',
      measure: `${label} node/bare, bun/node`,
      node: `${fmt((100 * node.rps) / bare.rps, 0)}%`,
      bun: `${fmt(bun.rps / node.rps, 2)}x`,
      target: `${share ? `node >= ${share * 100}%, ` : ''}bun >= 1x${broken ? `; ${broken} bad answers` : ''}`,
      met: nodeOk && bun.rps >= node.rps && broken === 0,
    })
  }
  return rows
}
