/**
 * `npm run bench [-- --full] [-- --only 1,3]`: runs the benchmarks on loopback, prints one table,
 * and writes results.json and the SVG charts (full profile: docs/bench/; short: bench/.out/).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DIST, ROOT } from '../test/helpers/server.js'
import { writeCharts } from './charts.js'
import { benchCapture } from './capture.js'
import { benchFootprint } from './footprint.js'
import { benchHttp } from './http.js'
import { describeMachine, loadAvg } from './lib/proc.js'
import { cleanupEverything } from './lib/servers.js'
import { benchPipelines } from './pipelines.js'
import { PROFILES } from './profile.js'
import { benchSchedule } from './schedule.js'
import { benchStartStop } from './startstop.js'
import { markdownTable, textTable, type Row } from './table.js'
import { benchTail } from './tail.js'

const SECTIONS = [
  { id: '1', name: 'HTTP throughput and latency', run: benchHttp },
  { id: '2', name: 'tail cost against file size, full-file download', run: benchTail },
  { id: '3', name: 'schedule accuracy', run: benchSchedule },
  { id: '4', name: 'log capture', run: benchCapture },
  { id: '5', name: 'footprint', run: benchFootprint },
  { id: '6', name: 'start and stop latency', run: benchStartStop },
  { id: '7', name: 'many pipelines in one daemon', run: benchPipelines },
]

async function main(argv: string[]) {
  const profile = PROFILES[argv.includes('--full') ? 'full' : 'short']
  const only = argValue(argv, '--only')?.split(',')
  const outDir = argValue(argv, '--out') ?? (profile.name === 'full' ? join(ROOT, 'docs', 'bench') : join(ROOT, 'bench', '.out'))
  if (!existsSync(join(DIST, 'cli.js'))) throw new Error(`no build at ${DIST}: run npm run build first`)

  // Bounded: a run that hangs is ended, and everything it started with it.
  const limitMin = profile.name === 'full' ? 30 : 10
  setTimeout(() => void abort(`took more than ${limitMin} minutes`), limitMin * 60_000).unref()
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void abort(`interrupted (${sig})`))

  const machine = describeMachine()
  console.log(`pipeline-cron bench, ${profile.name} profile: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, bun ${machine.bun}; load ${loadAvg()}`)
  const rows: Row[] = []
  const data: Record<string, unknown> = {}
  const load: Record<string, { before: string; after: string; seconds: number }> = {}
  const began = Date.now()
  for (const s of SECTIONS) {
    if (only && !only.includes(s.id)) continue
    const t0 = Date.now()
    const before = loadAvg()
    process.stdout.write(`${s.id}. ${s.name} (load ${before}) ... `)
    const result = await s.run(profile)
    load[s.id] = { before, after: loadAvg(), seconds: Math.round((Date.now() - t0) / 1000) }
    console.log(`${load[s.id]!.seconds} s`)
    rows.push(...result.rows)
    data[s.id] = result.data
  }
  console.log(`\n${textTable(rows)}\n\ntotal ${Math.round((Date.now() - began) / 1000)} s; load average now ${loadAvg()}`)

  mkdirSync(outDir, { recursive: true })
  const results = { profile: profile.name, at: new Date().toISOString(), machine, load, rows, data }
  writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n')
  writeFileSync(join(outDir, 'table.md'), markdownTable(rows) + '\n')
  const charts = writeCharts(outDir, data)
  console.log(`wrote ${join(outDir, 'results.json')}, table.md${charts.length ? `, ${charts.join(', ')}` : ''}`)
}

async function abort(why: string) {
  console.error(`\nbench ${why}: stopping every server and daemon it started`)
  await cleanupEverything()
  process.exit(1)
}

function argValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name)
  return i === -1 ? undefined : argv[i + 1]
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  async (err: Error) => {
    console.error(`\nbench failed: ${err.stack ?? err.message}`)
    await cleanupEverything()
    process.exit(1)
  },
)
