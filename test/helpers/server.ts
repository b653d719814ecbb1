import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { daemonPidsOf, isAlive, killAll, pidsWithEnv } from './procs.js'
import { waitFor } from './wait.js'

export const ROOT = resolve(import.meta.dirname, '..', '..')
/** The built package to test; PIPELINE_CRON_DIST lets a developer test a private build. */
export const DIST = process.env.PIPELINE_CRON_DIST ? resolve(process.env.PIPELINE_CRON_DIST) : join(ROOT, 'dist')
export const BUN = join(ROOT, 'node_modules', '.bin', 'bun')

export type Runtime = 'node' | 'bun'

export interface TestServer {
  url: string
  pid: number
  dir: string
  stateDir: string
  logFile: string
  pipelineFile: string
  /** DIR/pipelines: where `pipelines` were written (`--pipelines`). */
  pipelinesDir: string
  /** The log of a pipeline other than `default`: DIR/logs/<name>.log. */
  logOf: (name: string) => string
  output: () => string
  /** Stops the server (SIGTERM, then SIGKILL); the daemon, if any, is left running. */
  close: () => Promise<void>
  /** Kills every process of any daemon started from this state dir, then removes the temp dir. */
  cleanup: () => Promise<void>
}

export interface ServerOptions {
  runtime?: Runtime
  /** A pipeline object, written to DIR/pipeline.json; steps may use fixtures from test/fixtures. */
  pipeline?: unknown
  /** Pipelines by name, written to DIR/pipelines/<name>.json and served with `--pipelines`. */
  pipelines?: Record<string, unknown>
  /** Reuse a folder (e.g. to restart a server on the same state dir). */
  dir?: string
  args?: string[]
  env?: Record<string, string>
}

/** A temp folder under the OS temp dir, removed by `cleanup`. */
export function tempDir(prefix = 'pc-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** The fixture scripts folder, for pipelines in tests: `node ${FIXTURES}/print.mjs`. */
export const FIXTURES = join(ROOT, 'test', 'fixtures')

/**
 * Starts the built server (Node: dist/cli.js; Bun: adapters/bun/server.ts) on an ephemeral
 * loopback port with a temp state dir, a temp log file and a 1 s minimum interval.
 */
export async function startServer(o: ServerOptions = {}): Promise<TestServer> {
  const dir = o.dir ?? tempDir()
  mkdirSync(dir, { recursive: true })
  const stateDir = join(dir, 'state')
  const logFile = join(dir, 'pipeline.log')
  const pipelineFile = join(dir, 'pipeline.json')
  if (o.pipeline !== undefined) writeFileSync(pipelineFile, JSON.stringify(o.pipeline, null, 2))
  const pipelinesDir = join(dir, 'pipelines')
  if (o.pipelines) {
    mkdirSync(pipelinesDir, { recursive: true })
    for (const [name, pipeline] of Object.entries(o.pipelines)) writeFileSync(join(pipelinesDir, `${name}.json`), JSON.stringify(pipeline, null, 2))
  }
  // With a folder of pipelines and no pipeline of its own, the server gets no `default` pipeline.
  const pipelineArgs = o.pipelines && o.pipeline === undefined ? [] : ['--pipeline', pipelineFile]
  const runtime = o.runtime ?? ((process.env.PIPELINE_CRON_RUNTIME as Runtime | undefined) ?? 'node')
  const [cmd, entry] = runtime === 'bun' ? [BUN, join(ROOT, 'adapters', 'bun', 'server.ts')] : [process.execPath, join(DIST, 'cli.js')]
  const args = [
    entry!,
    ...(runtime === 'node' ? ['serve'] : []),
    '--port', '0',
    '--host', '127.0.0.1',
    '--state-dir', stateDir,
    '--log-file', logFile,
    '--log-dir', join(dir, 'logs'),
    ...pipelineArgs,
    ...(o.pipelines ? ['--pipelines', pipelinesDir] : []),
    '--min-interval', '1',
    '--stop-grace', '2',
    ...(o.args ?? []),
  ]
  const child: ChildProcess = spawn(cmd!, args, { cwd: dir, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const closed = new Promise<void>((r) => child.once('close', () => r()))
  // waitFor retries a check that throws, so an early exit is returned as a value and thrown here.
  const found = await waitFor(
    () => (child.exitCode !== null ? { exited: child.exitCode } : /listening on (http:\/\/\S+)/.exec(out)?.[1]),
    { timeoutMs: 15_000, what: 'the server to listen' },
  ).catch((err) => {
    child.kill('SIGKILL')
    if (!o.dir) rmSync(dir, { recursive: true, force: true })
    throw err
  })
  if (typeof found !== 'string') {
    // 'exit' may come before the last output: wait for the pipes to close (bounded).
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))])
    // A folder this call made is removed; a caller's folder is the caller's to clean.
    if (!o.dir) rmSync(dir, { recursive: true, force: true })
    throw new Error(`server exited (${found.exited}): ${out}`)
  }
  const url = found
  const pid = child.pid!
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const t = setTimeout(() => child.kill('SIGKILL'), 3000)
    await exited
    clearTimeout(t)
  }
  return {
    url,
    pid,
    dir,
    stateDir,
    logFile,
    pipelineFile,
    pipelinesDir,
    logOf: (name: string) => (name === 'default' ? logFile : join(dir, 'logs', `${name}.log`)),
    output: () => out,
    close,
    cleanup: async () => {
      await close()
      killDaemonsOf(stateDir)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Kills the daemon of `stateDir` (found by `--state-dir=` on its command line) and every step of
 * its pipelines (found by the instance markers in their state files and run records).
 */
export function killDaemonsOf(stateDir: string) {
  killAll(daemonPidsOf(stateDir))
  for (const id of instanceIdsOf(stateDir)) killAll(pidsWithEnv('PIPELINE_CRON_INSTANCE', id).filter(isAlive))
}

/** Every pipeline instance id a state dir mentions: its state files and run records, `default`'s and the others'. */
function instanceIdsOf(stateDir: string): Set<string> {
  const ids = new Set<string>()
  const homes = [stateDir, ...safeList(join(stateDir, 'pipelines')).map((name) => join(stateDir, 'pipelines', name))]
  for (const home of homes) {
    for (const name of safeList(home)) {
      if (!name.startsWith('state.json') && name !== 'runs.jsonl') continue
      const text = safeReadText(join(home, name))
      for (const m of text.matchAll(/"instance_id"\s*:\s*"([^"]+)"/g)) ids.add(m[1]!)
    }
  }
  return ids
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

function safeReadText(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

/** fetch() against the server, with a JSON body when `json` is given. */
export async function call(
  base: string,
  method: string,
  path: string,
  init: { json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const headers: Record<string, string> = { ...init.headers }
  let body = init.body
  if (init.json !== undefined) {
    body = JSON.stringify(init.json)
    headers['Content-Type'] ??= 'application/json'
  }
  const res = await fetch(base + path, { method, headers, body })
  const text = await res.text()
  let parsed: unknown = undefined
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  return { status: res.status, body: parsed, text, headers: res.headers }
}

/**
 * A state.json as a daemon would leave it, naming `pid` under a made-up instance id (or the one
 * in `extra`): how tests plant stale, foreign or reused pids.
 */
export function writeState(server: { stateDir: string; pipelineFile: string }, pid: number, extra: Record<string, unknown> = {}) {
  mkdirSync(server.stateDir, { recursive: true })
  const at = new Date().toISOString()
  const state = {
    pid,
    instance_id: `made-up-${pid}-${Math.random().toString(16).slice(2)}`,
    runtime: 'node',
    started_at: at,
    schedule: { type: 'interval', interval_seconds: 60 },
    run_immediately: true,
    pipeline_file: server.pipelineFile,
    next_run_at: at,
    current_run: null,
    stopping: null,
    ...extra,
  }
  writeFileSync(join(server.stateDir, 'state.json'), JSON.stringify(state))
  return state
}
