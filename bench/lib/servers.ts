import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { call, startServer, type Runtime, type TestServer } from '../../test/helpers/server.js'
import { waitFor } from '../../test/helpers/wait.js'

export type { Runtime, TestServer }
export const RUNTIMES: Runtime[] = ['node', 'bun']

/** A pipeline of one step that does nothing: what an idle or ticking daemon runs. */
export const NOOP_PIPELINE = { name: 'bench', steps: [{ name: 'noop', run: ['true'] }] }

// Everything started and not yet cleaned up, for an interrupted or timed-out run.
const live = new Set<{ cleanup(): Promise<void> }>()

/** Registers a clean-up for an interrupted run (e.g. removing a 1 GB temp file); returns its un-register. */
export function track(cleanup: () => void | Promise<void>): () => void {
  const entry = { cleanup: async () => void (await cleanup()) }
  live.add(entry)
  return () => void live.delete(entry)
}

/** Stops every server (and its daemon's whole tree) and bare server still running. */
export async function cleanupEverything(): Promise<void> {
  for (const x of [...live]) await x.cleanup().catch(() => undefined)
}

/** The pipeline-cron server of `runtime` on an ephemeral loopback port (test/helpers/server.ts). */
export async function startPc(runtime: Runtime, pipeline: unknown = NOOP_PIPELINE, args: string[] = []): Promise<TestServer> {
  const s = await startServer({ runtime, pipeline, args })
  const tracked = { ...s, cleanup: () => (live.delete(tracked), s.cleanup()) }
  live.add(tracked)
  return tracked
}

/** A server of `runtime` with a folder of pipelines (`--pipelines`) and no `default` one. */
export async function startPcPipelines(runtime: Runtime, pipelines: Record<string, unknown>): Promise<TestServer> {
  const s = await startServer({ runtime, pipelines })
  const tracked = { ...s, cleanup: () => (live.delete(tracked), s.cleanup()) }
  live.add(tracked)
  return tracked
}

export interface BareServer {
  url: string
  pid: number
  close(): Promise<void>
}

/** The limit: bare node:http answering a fixed JSON body (bench/bare-server.ts, built next to this bundle). */
export async function startBare(): Promise<BareServer> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'bare-server.js')], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(out)?.[1], { timeoutMs: 10_000, what: 'the bare server' })
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const close = async () => {
    live.delete(tracked)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }
  const tracked = { cleanup: close }
  live.add(tracked)
  return { url, pid: child.pid!, close }
}

/** Starts the daemon through the API and returns its pid (from STATE_DIR/state.json). */
export async function startDaemon(s: TestServer, body: Record<string, unknown>): Promise<number> {
  const res = await call(s.url, 'POST', '/api/cron/start', { json: body })
  if (res.status !== 200) throw new Error(`start on ${s.url}: ${res.status} ${res.text}`)
  return daemonState(s).pid
}

export function daemonState(s: TestServer): { pid: number; started_at: string } {
  return JSON.parse(readFileSync(join(s.stateDir, 'state.json'), 'utf8'))
}

/** The pid of the one daemon of the state dir (STATE_DIR/daemon.json), which runs every pipeline. */
export function daemonPid(s: TestServer): number {
  return (JSON.parse(readFileSync(join(s.stateDir, 'daemon.json'), 'utf8')) as { pid: number }).pid
}

export async function stopDaemon(s: TestServer): Promise<void> {
  const res = await call(s.url, 'POST', '/api/cron/stop')
  if (res.status !== 200) throw new Error(`stop on ${s.url}: ${res.status} ${res.text}`)
}

export interface RunRecordLite {
  id: string
  trigger: string
  status: string
  scheduled_at: string | null
  started_at: string
  finished_at: string | null
  duration_ms: number | null
  steps: { name: string; duration_ms: number; status: string }[]
}

/** The latest record of each run in STATE_DIR/runs.jsonl, oldest first. */
export function runRecords(s: TestServer): RunRecordLite[] {
  let text = ''
  try {
    text = readFileSync(join(s.stateDir, 'runs.jsonl'), 'utf8')
  } catch {
    return []
  }
  const byId = new Map<string, RunRecordLite>()
  for (const line of text.split('\n')) {
    if (!line) continue
    const run = JSON.parse(line) as RunRecordLite
    byId.delete(run.id)
    byId.set(run.id, run)
  }
  return [...byId.values()].sort((a, b) => a.started_at.localeCompare(b.started_at))
}

/** Finished runs (not running, not skipped). */
export const finished = (s: TestServer) => runRecords(s).filter((r) => r.status !== 'running' && r.status !== 'skipped')

/** One kept-alive connection; make one per series (a server closes connections left idle for 5 s). */
export const keepAlive = () => new http.Agent({ keepAlive: true, maxSockets: 1 })

/** One GET over `agent`'s connection; resolves with its wall time in ms (sub-ms precision). */
export function timedGet(url: string, agent: http.Agent): Promise<{ ms: number; status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const req = http.get(url, { agent }, (res) => {
      let bytes = 0
      res.on('data', (d: Buffer) => (bytes += d.length))
      res.on('end', () => resolve({ ms: performance.now() - t0, status: res.statusCode ?? 0, bytes }))
      res.on('error', reject)
    })
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${url}: no answer in 30 s`)))
    req.on('error', reject)
  })
}

/** `n` sequential timed GETs after `warmup` untimed ones; throws on any non-200. */
export async function timedSeries(url: string, n: number, warmup = 10): Promise<number[]> {
  const out: number[] = []
  const agent = keepAlive()
  try {
    for (let i = 0; i < warmup + n; i++) {
      const r = await timedGet(url, agent)
      if (r.status !== 200) throw new Error(`GET ${url}: ${r.status}`)
      if (i >= warmup) out.push(r.ms)
    }
  } finally {
    agent.destroy()
  }
  return out
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
