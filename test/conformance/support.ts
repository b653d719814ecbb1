/**
 * Shared pieces of the black-box conformance suite. Everything here talks to the server over
 * HTTP, or looks at /proc and files: nothing is imported from src/ or adapters/, so the same
 * checks run against the Node server and the Bun server (PIPELINE_CRON_RUNTIME).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, onTestFinished } from 'vitest'
import { isAlive, pidsWithEnv } from '../helpers/procs.js'
import { call, FIXTURES, startServer, tempDir, type ServerOptions, type TestServer } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'

export { call, FIXTURES, isAlive, pidsWithEnv, waitFor }
export type { TestServer }

/** Steps run the fixtures with this machine's node, whatever runtime serves the API. */
export const NODE = process.execPath

/** `[node, /abs/test/fixtures/<name>, ...args]`: a step's `run` as an array (no shell). */
export const fixture = (name: string, ...args: string[]) => [NODE, join(FIXTURES, name), ...args]

/** The same as one `/bin/sh -c` string, for steps that exercise the shell form. */
export const fixtureSh = (name: string, ...args: string[]) => [NODE, join(FIXTURES, name), ...args].map(shQuote).join(' ')

export function shQuote(s: string): string {
  return /^[\w./=:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/** A one-step pipeline that prints a few lines and exits 0. */
export const quickPipeline = (name = 'quick') => ({ name, steps: [{ name: 'hello', run: fixture('print-lines.mjs', '2', '1', 'hello') }] })

/** Starts a server for this test only: its daemons are killed and its folder removed when the test ends. */
export async function serverForTest(o: ServerOptions = {}): Promise<TestServer> {
  const server = await startServer(o)
  onTestFinished(() => server.cleanup())
  return server
}

/** A server for this test whose pipeline names files in its own folder (pid files, markers). */
export function serverWithPipeline(build: (dir: string) => unknown, o: ServerOptions = {}): Promise<TestServer> {
  const dir = tempDir()
  return serverForTest({ ...o, dir, pipeline: build(dir) })
}

/** STATE_DIR/state.json as the daemon wrote it, or null when there is none. */
export function readState(server: { stateDir: string }): { pid: number; instance_id: string; [k: string]: unknown } | null {
  try {
    return JSON.parse(readFileSync(join(server.stateDir, 'state.json'), 'utf8'))
  } catch {
    return null
  }
}

/** Live processes whose command line holds `--state-dir=<dir>`: the daemons of that state dir. */
export { daemonPidsOf } from '../helpers/procs.js'

/** Live processes carrying the daemon instance's marker (the daemon and every step descendant). */
export const treeOf = (instanceId: string) => pidsWithEnv('PIPELINE_CRON_INSTANCE', instanceId)

/** The current log file's text ('' when it does not exist yet). */
export function logText(server: { logFile: string }): string {
  try {
    return readFileSync(server.logFile, 'utf8')
  } catch {
    return ''
  }
}

/** Waits until the log file holds a line matching `pattern`; returns the whole text. */
export function waitForLog(server: { logFile: string }, pattern: RegExp | string, timeoutMs = 20_000): Promise<string> {
  const test = (t: string) => (typeof pattern === 'string' ? t.includes(pattern) : pattern.test(t))
  return waitFor(() => {
    const t = logText(server)
    return test(t) ? t : ''
  }, { timeoutMs, what: `a log line matching ${String(pattern)}` })
}

/** Waits until a file exists and is not empty; returns its content. */
export function waitForFile(path: string, timeoutMs = 20_000): Promise<string> {
  return waitFor(() => {
    try {
      return readFileSync(path, 'utf8')
    } catch {
      return ''
    }
  }, { timeoutMs, what: `${path} to be written` })
}

/** Every log line is `[YYYY-MM-DD HH:MM:SS] text`. */
export const LOG_LINE = /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] /

/** ISO 8601 in UTC with milliseconds. */
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** Asserts the SPEC's error body (`{"error": true, "detail", "timestamp"}`) under `status`. */
export function expectError(res: { status: number; body: any; text: string; headers: Headers }, status: number, detail?: RegExp) {
  expect(res.status, res.text).toBe(status)
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/)
  expect(res.body).toEqual({ error: true, detail: expect.any(String), timestamp: expect.stringMatching(ISO_MS) })
  expect(res.body.detail.length).toBeGreaterThan(0)
  // A 4xx/5xx never leaks a stack trace.
  expect(res.text).not.toMatch(/\n\s+at |\.ts:\d+|\.js:\d+/)
  if (detail) expect(res.body.detail).toMatch(detail)
}

/** POST /api/cron/start with an interval, expecting 200; returns the daemon's pid and instance id. */
export async function startDaemon(server: TestServer, body: Record<string, unknown> = { interval_seconds: 3600 }) {
  const res = await call(server.url, 'POST', '/api/cron/start', { json: body })
  expect(res.status, res.text).toBe(200)
  const pid = Number(/\(PID: (\d+)\)$/.exec(res.body.message)?.[1])
  const state = readState(server)
  expect(state?.pid).toBe(pid)
  return { pid, instanceId: state!.instance_id, res }
}

/** Waits until the runs history has a finished run (not `running`); returns the runs. */
export async function waitForRuns(server: TestServer, count: number, timeoutMs = 20_000): Promise<any[]> {
  return waitFor(async () => {
    const res = await call(server.url, 'GET', '/api/cron/runs')
    const done = (res.body?.runs ?? []).filter((r: any) => r.status !== 'running')
    return done.length >= count ? res.body.runs : null
  }, { timeoutMs, what: `${count} finished run(s)` })
}

/** Writes a pipeline file by hand (startServer writes one only when given a pipeline). */
export function writePipeline(server: { pipelineFile: string }, pipeline: unknown) {
  writeFileSync(server.pipelineFile, typeof pipeline === 'string' ? pipeline : JSON.stringify(pipeline, null, 2))
}

/**
 * A system package a test needs (curl, python3 with requests). Missing: the tests are skipped
 * with a loud message, unless PIPELINE_CRON_REQUIRE_SYSTEM_DEPS=1 (CI), where they run and fail.
 */
export function systemDep(what: string, available: boolean, install: string) {
  const required = process.env.PIPELINE_CRON_REQUIRE_SYSTEM_DEPS === '1'
  if (!available && !required) {
    console.warn(`\n!!!!! SKIPPED: ${what} is not available (${install}); set PIPELINE_CRON_REQUIRE_SYSTEM_DEPS=1 to fail instead !!!!!\n`)
  }
  return {
    skip: !available && !required,
    /** Throws when the dependency is missing (only reached when it is required). */
    assert() {
      if (!available) throw new Error(`${what} is required (PIPELINE_CRON_REQUIRE_SYSTEM_DEPS=1) but not available: ${install}`)
    },
  }
}
