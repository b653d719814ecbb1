/**
 * Helpers for the feature suites (issues 4 and 5): real servers, real daemons, real files.
 * Everything goes over HTTP or through /proc and the files; waits are bounded polls.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, type TestContext } from 'vitest'
import { parseSse } from '../../src/client/sse.js'
import { isAlive, killAll, pidsWithEnv } from '../helpers/procs.js'
import { call, FIXTURES, startServer, tempDir, type ServerOptions, type TestServer } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'

export { call, FIXTURES, isAlive, killAll, pidsWithEnv, tempDir, waitFor }
export type { TestServer }

export const NODE = process.execPath
export const HERE = import.meta.dirname

/** A step's `run` as an array: this machine's node running a fixture script. */
export const fixture = (name: string, ...args: string[]) => [NODE, join(FIXTURES, name), ...args]

/** A fixture of this folder (test/features/fixtures). */
export const localFixture = (name: string, ...args: string[]) => [NODE, join(HERE, 'fixtures', name), ...args]

/** Every log line starts with the seed's timestamp. */
export const LOG_LINE = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] /
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/**
 * The test's context: concurrent tests must register their cleanup on their own context
 * (vitest does not track concurrent tests in the global `onTestFinished`).
 */
export type Ctx = Pick<TestContext, 'onTestFinished'>

/** A server for this test only; its daemons are killed and its folder removed when the test ends. */
export async function serverFor(ctx: Ctx, o: ServerOptions = {}): Promise<TestServer> {
  const server = await startServer(o)
  ctx.onTestFinished(() => server.cleanup())
  return server
}

/** A server whose pipeline is built from the test's own folder (marker files, pid files). */
export async function serverWith(ctx: Ctx, build: (dir: string) => unknown, o: ServerOptions = {}): Promise<TestServer> {
  const dir = tempDir('pc-feat-')
  return serverFor(ctx, { ...o, dir, pipeline: build(dir) })
}

/** POST /api/cron/start, expecting 200; returns the daemon's pid. */
export async function startDaemon(server: TestServer, body: Record<string, unknown>): Promise<number> {
  const res = await call(server.url, 'POST', '/api/cron/start', { json: body })
  expect(res.status, res.text).toBe(200)
  return Number(/PID: (\d+)/.exec(res.body.message)![1])
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
  steps: { name: string; status: string; exit_code: number | null; signal: string | null; started_at: string; duration_ms: number; error?: string }[]
}

export async function listRuns(server: TestServer, limit = 1000): Promise<Run[]> {
  const res = await call(server.url, 'GET', `/api/cron/runs?limit=${limit}`)
  expect(res.status, res.text).toBe(200)
  return res.body.runs as Run[]
}

/** Polls the run list until `check` returns something truthy. */
export function waitForRuns<T>(server: TestServer, check: (runs: Run[]) => T, what: string, timeoutMs = 15_000) {
  return waitFor(async () => check(await listRuns(server)), { timeoutMs, intervalMs: 50, what })
}

/** Polls until the run with this id has a final status. */
export function waitForFinished(server: TestServer, id: string, timeoutMs = 15_000): Promise<Run> {
  return waitForRuns(server, (runs) => runs.find((r) => r.id === id && r.status !== 'running'), `run ${id} to finish`, timeoutMs)
}

export async function status(server: TestServer): Promise<any> {
  const res = await call(server.url, 'GET', '/api/cron/status')
  expect(res.status, res.text).toBe(200)
  return res.body
}

export function logText(server: { logFile: string }, suffix = ''): string {
  try {
    return readFileSync(server.logFile + suffix, 'utf8')
  } catch {
    return ''
  }
}

/** The lines of a log text, without the "\n" that ends the last one. */
export function linesOf(text: string): string[] {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

export function waitForLog(server: TestServer, pattern: RegExp, timeoutMs = 15_000) {
  return waitFor(() => pattern.test(logText(server)), { timeoutMs, intervalMs: 25, what: `the log to match ${pattern}` })
}

export function readState(server: TestServer): { pid: number; instance_id: string; started_at: string; [k: string]: unknown } | null {
  try {
    return JSON.parse(readFileSync(join(server.stateDir, 'state.json'), 'utf8'))
  } catch {
    return null
  }
}

/** Kills every process tagged with this instance id when the test ends (orphans of a killed daemon). */
export function killTreeAtEnd(ctx: Ctx, instanceId: string) {
  ctx.onTestFinished(() => killAll(pidsWithEnv('PIPELINE_CRON_INSTANCE', instanceId)))
}

/** Writes a small shell script in `dir` and returns the step `run` for it (array form). */
export function shellScript(dir: string, name: string, body: string): string[] {
  const file = join(dir, name)
  writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 })
  return ['/bin/sh', file]
}

// ---------------------------------------------------------------------------------------------
// Server-Sent Events
// ---------------------------------------------------------------------------------------------

export type SseItem = { kind: 'comment'; text: string } | { kind: 'message'; event: string; data: string }

/** An SSE client over fetch: collects every comment and message until `close()`. */
export class SseClient {
  readonly items: SseItem[] = []
  ended = false
  error: unknown = null
  private readonly abort = new AbortController()
  private done: Promise<void> = Promise.resolve()

  static async open(url: string): Promise<SseClient> {
    const client = new SseClient()
    const res = await fetch(url, { signal: client.abort.signal, headers: { Accept: 'text/event-stream' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    client.done = client.pump(res.body!)
    return client
  }

  private async pump(body: ReadableStream<Uint8Array>) {
    try {
      const onComment = (text: string) => void this.items.push({ kind: 'comment', text })
      for await (const { event, data } of parseSse(body, { onComment })) this.items.push({ kind: 'message', event, data })
    } catch (err) {
      if (!this.abort.signal.aborted) this.error = err
    } finally {
      this.ended = true
    }
  }

  /** The data of every plain message (one log line each). */
  lines(): string[] {
    return this.items.flatMap((i) => (i.kind === 'message' && i.event === 'message' ? [i.data] : []))
  }

  waitFor<T>(check: (c: SseClient) => T, what: string, timeoutMs = 10_000) {
    return waitFor(() => check(this), { timeoutMs, intervalMs: 20, what })
  }

  /** Drops the connection (as a browser tab closing would) and waits for the reader to stop. */
  async close() {
    this.abort.abort()
    await this.done
  }
}

// ---------------------------------------------------------------------------------------------
// Prometheus text format
// ---------------------------------------------------------------------------------------------

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  samples: Sample[]
  types: Map<string, string>
  help: Map<string, string>
  /** The value of the one sample of `name` whose labels include `labels`. */
  value(name: string, labels?: Record<string, string>): number | undefined
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`)
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/

/**
 * Parses Prometheus text format 0.0.4 strictly, line by line: `# HELP`, `# TYPE` (at most once
 * per metric, TYPE before its samples), and samples `name{label="value",...} value`.
 * Throws with the offending line on anything else.
 */
export function parsePrometheus(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline')
  const samples: Sample[] = []
  const types = new Map<string, string>()
  const help = new Map<string, string>()
  const seenSamples = new Set<string>()
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue
    if (line.startsWith('#')) {
      const m = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line)
      if (!m) {
        if (/^# (HELP|TYPE)/.test(line)) throw new Error(`malformed comment line: ${line}`)
        continue
      }
      const [, kind, name, rest] = m as unknown as [string, string, string, string]
      if (kind === 'HELP') {
        if (help.has(name)) throw new Error(`second HELP for ${name}`)
        help.set(name, rest)
      } else {
        if (types.has(name)) throw new Error(`second TYPE for ${name}`)
        if (seenSamples.has(name)) throw new Error(`TYPE after samples for ${name}`)
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`bad type: ${line}`)
        types.set(name, rest)
      }
      continue
    }
    const m = SAMPLE.exec(line)
    if (!m) throw new Error(`malformed sample line: ${line}`)
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string]
    const labels: Record<string, string> = {}
    let rest = labelText ?? ''
    while (rest.length) {
      const l = LABEL.exec(rest)
      if (!l) throw new Error(`malformed labels in: ${line}`)
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\')
      rest = rest.slice(l[0].length)
    }
    if (!/^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/.test(valueText)) throw new Error(`bad value in: ${line}`)
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText)
    if (!types.has(name) && !types.has(name.replace(/_(sum|count|bucket)$/, ''))) throw new Error(`sample before its TYPE: ${line}`)
    seenSamples.add(name)
    samples.push({ name, labels, value })
  }
  return {
    samples,
    types,
    help,
    value(name, want = {}) {
      const hits = samples.filter((s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v))
      if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(want)}`)
      return hits[0]?.value
    },
  }
}

/** GET /metrics, checked to be valid Prometheus text. */
export async function metrics(server: TestServer): Promise<Exposition> {
  const res = await call(server.url, 'GET', '/metrics')
  expect(res.status, res.text).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return parsePrometheus(res.text)
}

/** Counts of /proc/<pid>/fd entries (open files and sockets of a process). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}
