/**
 * What every real-server suite (conformance, faults, features) works with: a built server per
 * test that cleans up after itself, fixtures as step commands, the log and state files, runs
 * over HTTP and the error-body check. Nothing here imports src/ or adapters/: the same checks
 * run against the Node server and the Bun server (PIPELINE_CRON_RUNTIME). Waits are bounded polls.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, onTestFinished, type TestContext } from 'vitest'
import { isAlive, killAll, pidsWithEnv } from './procs.js'
import { call, startServer, tempDir, type ServerOptions, type TestServer } from './server.js'
import { waitFor } from './wait.js'

export { daemonPidsOf, isAlive, killAll, pidsWithEnv } from './procs.js'
export { call, FIXTURES, killDaemonsOf, startServer, tempDir, writeState, type ServerOptions, type TestServer } from './server.js'
export { waitFor } from './wait.js'

/** Steps run the fixtures with this machine's node, whatever runtime serves the API. */
export const NODE = process.execPath

/** `[node, /abs/test/fixtures/<name>, ...args]`: a step's `run` as an array (no shell). */
export const fixture = (name: string, ...args: string[]) => [NODE, join(import.meta.dirname, '..', 'fixtures', name), ...args]

/** Every log line is `[YYYY-MM-DD HH:MM:SS] text`. */
export const LOG_LINE = /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] /

/** ISO 8601 in UTC with milliseconds. */
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/**
 * Where a test registers its cleanup. Concurrent tests must pass their own context: vitest does
 * not track them in the global `onTestFinished`.
 */
export type Ctx = Pick<TestContext, 'onTestFinished'>
const current: Ctx = { onTestFinished }

/** Instance ids of the daemons each server's tests started: their trees die with the test, whatever became of the files. */
const started = new WeakMap<TestServer, Set<string>>()

/** A server for this test only: its daemons and their steps are killed and its folder removed when the test ends. */
export async function serverForTest(options: ServerOptions = {}, ctx: Ctx = current): Promise<TestServer> {
  const server = await startServer(options)
  ctx.onTestFinished(async () => {
    for (const id of started.get(server) ?? []) killAll(treeOf(id))
    await server.cleanup()
  })
  return server
}

/** A server for this test whose pipeline names files in its own folder (pid files, markers). */
export function serverWithPipeline(build: (dir: string) => unknown, options: ServerOptions = {}, ctx: Ctx = current): Promise<TestServer> {
  const dir = tempDir('pc-real-')
  return serverForTest({ ...options, dir, pipeline: build(dir) }, ctx)
}

/** Live processes carrying the daemon instance's marker (the daemon and every step descendant). */
export const treeOf = (instanceId: string) => pidsWithEnv('PIPELINE_CRON_INSTANCE', instanceId)

/** Kills every process tagged with this instance id when the test ends (orphans of a killed daemon). */
export function killTreeAtEnd(instanceId: string, ctx: Ctx = current) {
  ctx.onTestFinished(() => killAll(treeOf(instanceId).filter(isAlive)))
}

/** Spawns a process of the test's own (not ours to the server); killed at the end of the test. */
export function spawnForeign(argv: string[], opts: { detached?: boolean } = {}): ChildProcess {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: opts.detached ?? false })
  onTestFinished(() => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')))
  return child
}

/** STATE_DIR/state.json as the daemon wrote it, or null when there is none. */
export function readState(server: { stateDir: string }): { pid: number; instance_id: string; started_at: string; [k: string]: unknown } | null {
  try {
    return JSON.parse(readFileSync(join(server.stateDir, 'state.json'), 'utf8'))
  } catch {
    return null
  }
}

/** A file's text, '' when it does not exist (yet). */
export function textOf(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/** The current log file's text (or a rotated one's: `suffix` ".1"), '' when it does not exist yet. */
export const logText = (server: { logFile: string }, suffix = '') => textOf(server.logFile + suffix)

/** Waits until the log file holds a line matching `pattern`; returns the whole text. */
export function waitForLog(server: { logFile: string }, pattern: RegExp | string, timeoutMs = 20_000): Promise<string> {
  const matches = (text: string) => (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text))
  return waitFor(() => {
    const text = logText(server)
    return matches(text) ? text : ''
  }, { timeoutMs, what: `a log line matching ${String(pattern)}` })
}

/** Waits until a file exists and is not empty; returns its content. */
export function waitForFile(path: string, timeoutMs = 20_000): Promise<string> {
  return waitFor(() => textOf(path), { timeoutMs, what: `${path} to be written` })
}

/** The error body (`{"error": true, "detail", "timestamp"}`) under `status`, JSON, with no stack trace. */
export function expectError(res: { status: number; body: any; text: string; headers: Headers }, status: number, detail?: RegExp) {
  expect(res.status, res.text).toBe(status)
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/)
  expect(res.body, res.text).toEqual({ error: true, detail: expect.any(String), timestamp: expect.stringMatching(ISO_MS) })
  expect(res.body.detail.length).toBeGreaterThan(0)
  expect(res.text).not.toMatch(/\n\s+at |\.ts:\d+|\.js:\d+/)
  if (detail) expect(res.body.detail).toMatch(detail)
}

/** POST /api/cron/start expecting 200; the daemon's pid and instance id (its tree is killed when the test ends). */
export async function startDaemon(server: TestServer, body: Record<string, unknown> = { interval_seconds: 3600 }, headers?: Record<string, string>) {
  const res = await call(server.url, 'POST', '/api/cron/start', { json: body, headers })
  expect(res.status, res.text).toBe(200)
  const pid = Number(/\(PID: (\d+)\)$/.exec(res.body.message)?.[1])
  const state = readState(server)
  expect(state?.pid).toBe(pid)
  const ids = started.get(server) ?? new Set<string>()
  started.set(server, ids.add(state!.instance_id))
  return { pid, instanceId: state!.instance_id, res }
}

export interface Run {
  id: string
  instance_id: string
  trigger: 'schedule' | 'manual'
  status: string
  reason?: string
  scheduled_at: string | null
  started_at: string
  finished_at: string | null
  duration_ms: number | null
  steps: { name: string; status: string; exit_code: number | null; signal: string | null; started_at: string; duration_ms: number; error?: string; attempts?: number }[]
}

/** GET /api/cron/runs, newest first. */
export async function listRuns(server: TestServer, limit = 1000): Promise<Run[]> {
  const res = await call(server.url, 'GET', `/api/cron/runs?limit=${limit}`)
  expect(res.status, res.text).toBe(200)
  return res.body.runs as Run[]
}

/** Polls the run list until `check` returns something truthy. */
export function waitForRuns<T>(server: TestServer, check: (runs: Run[]) => T, what: string, timeoutMs = 15_000) {
  return waitFor(async () => check(await listRuns(server)), { timeoutMs, intervalMs: 50, what })
}

/** Polls until `count` runs have finished (not `running`); returns every run (loosely typed: tests pick them apart). */
export function waitForFinishedRuns(server: TestServer, count: number, timeoutMs = 20_000): Promise<any[]> {
  return waitForRuns(server, (runs) => (runs.filter((r) => r.status !== 'running').length >= count ? runs : null), `${count} finished run(s)`, timeoutMs)
}

/** Polls until the run with this id has a final status. */
export function waitForFinished(server: TestServer, id: string, timeoutMs = 15_000): Promise<Run> {
  return waitForRuns(server, (runs) => runs.find((r) => r.id === id && r.status !== 'running'), `run ${id} to finish`, timeoutMs)
}

/** GET /api/cron/status, expecting 200. */
export async function status(server: TestServer): Promise<any> {
  const res = await call(server.url, 'GET', '/api/cron/status')
  expect(res.status, res.text).toBe(200)
  return res.body
}
