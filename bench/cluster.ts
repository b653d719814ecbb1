/**
 * Cluster mode figures, run on demand (`npm run bench:cluster`, about 4 minutes): tick to step
 * start with 3 workers against the local daemon, 50 pipelines every 10 s on 3 workers, GET
 * /api/cron/status from a replica against the local server, and Redis memory per million log
 * lines. Every comparison is measured in the same run. Writes docs/bench/cluster.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../test/helpers/server.js'
import { logMemory, manyPipelines, statusFromReplica, tickToStep } from './cluster-parts.js'

const MB = 1024 * 1024

async function main() {
  // `node bench/.out/cluster.js memory` runs one part; the others keep their last figures.
  const only = process.argv[2]
  const file = join(ROOT, 'docs', 'bench', 'cluster.json')
  const previous = only && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}
  const want = (part: string) => !only || only === part
  const ticks = want('ticks') ? await tickToStep(40) : previous.ticks
  if (want('ticks')) console.log(`tick → step start, 40 ticks at 1 s: cluster (3 workers) p50 ${ticks.cluster.p50} ms, p99 ${ticks.cluster.p99} ms; local p50 ${ticks.local.p50} ms, p99 ${ticks.local.p99} ms`)
  const many = want('many') ? await manyPipelines(50, 65) : previous.many
  if (want('many')) console.log(`50 pipelines at 10 s on 3 workers, 65 s: ${many.runs} runs, lateness p50 ${many.lateness.p50} ms, p99 ${many.lateness.p99} ms, max ${many.lateness.max} ms; missed ${many.missed}, skipped ${many.skipped}`)
  const status = want('status') ? await statusFromReplica(5, 4) : previous.status
  if (want('status')) console.log(`GET /api/cron/status: replica ${Math.round(status.replica.rps)} req/s (p50 ${status.replica.p50} ms, p99 ${status.replica.p99} ms); local ${Math.round(status.local.rps)} req/s (p50 ${status.local.p50} ms, p99 ${status.local.p99} ms)`)
  const memory = want('memory') ? await logMemory(1_000_000, 100_000) : previous.memory
  if (want('memory')) console.log(`Redis memory: ${(memory.bytesPerMillion / MB).toFixed(1)} MiB per million 67-byte lines; MAXLEN ~ 100000 holds ${memory.capped.entries} entries in ${(memory.capped.bytes / MB).toFixed(1)} MiB`)
  mkdirSync(join(ROOT, 'docs', 'bench'), { recursive: true })
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), ticks, many, status, memory }, null, 2))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
