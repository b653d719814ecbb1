/**
 * Shared pieces of the fault suite: servers that clean up after the test, process look-ups in
 * /proc, the error-body check and a raw HTTP/1.1 client for requests fetch() refuses to send.
 * Everything talks to the built server over 127.0.0.1 or looks at /proc and files.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join, resolve } from 'node:path'
import { expect, onTestFinished } from 'vitest'
import { daemonPidsOf, isAlive, killAll, pidsWithEnv } from '../helpers/procs.js'
import { call, FIXTURES, startServer, tempDir, type ServerOptions, type TestServer } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'

export { call, isAlive, killAll, pidsWithEnv, tempDir, waitFor }
export type { TestServer }

export const NODE = process.execPath
export const FAULT_FIXTURES = resolve(import.meta.dirname, 'fixtures')

/** `[node, test/fixtures/<name>, ...args]`: a shared fixture as a step's argv. */
export const fixture = (name: string, ...args: string[]) => [NODE, join(FIXTURES, name), ...args]
/** `[node, test/faults/fixtures/<name>, ...args]`: one of this suite's fixtures. */
export const faultFixture = (name: string, ...args: string[]) => [NODE, join(FAULT_FIXTURES, name), ...args]

/** Every log line is `[YYYY-MM-DD HH:MM:SS] text`. */
export const LOG_LINE = /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] /
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** A server for this test only; its daemons' trees are killed and its folder removed when the test ends. */
export async function serverForTest(o: ServerOptions = {}): Promise<TestServer> {
  const server = await startServer(o)
  onTestFinished(async () => {
    killTreesOf(server.stateDir)
    await server.cleanup()
  })
  return server
}

/** A second server on the same folder (state dir, log, pipeline); closed when the test ends. */
export async function secondServer(first: TestServer, o: Omit<ServerOptions, 'dir'> = {}): Promise<TestServer> {
  const server = await startServer({ ...o, dir: first.dir })
  onTestFinished(() => server.close())
  return server
}

/** A pipeline whose steps name files in the server's own folder (pid files, markers). */
export function serverWithPipeline(build: (dir: string) => unknown, o: ServerOptions = {}): Promise<TestServer> {
  const dir = tempDir('pc-faults-')
  return serverForTest({ ...o, dir, pipeline: build(dir) })
}

/** SIGKILLs, at the end of the test, every live pid given (escaped children, foreign processes). */
export function killAtEnd(...pids: number[]) {
  onTestFinished(() => killAll(pids.filter(isAlive)))
}

/** Every process still carrying an instance marker of a daemon this state dir ever had. */
export function killTreesOf(stateDir: string) {
  const ids = new Set<string>()
  for (const name of safeReaddir(stateDir)) {
    if (!name.startsWith('state.json')) continue
    const id = /"instance_id"\s*:\s*"([^"]+)"/.exec(safeRead(join(stateDir, name)))?.[1]
    if (id) ids.add(id)
  }
  for (const line of safeRead(join(stateDir, 'runs.jsonl')).split('\n')) {
    const id = /"instance_id":"([^"]+)"/.exec(line)?.[1]
    if (id) ids.add(id)
  }
  for (const id of ids) killAll(pidsWithEnv('PIPELINE_CRON_INSTANCE', id))
  killAll(daemonPidsOf(stateDir))
}

/** The daemons of a state dir (see test/helpers/procs.ts). */
export { daemonPidsOf }

/** Live processes carrying the daemon instance's marker (the daemon and every step descendant). */
export const treeOf = (instanceId: string) => pidsWithEnv('PIPELINE_CRON_INSTANCE', instanceId)

/** STATE_DIR/state.json as the daemon wrote it, or null when there is none. */
export function readState(server: { stateDir: string }): { pid: number; instance_id: string; [k: string]: unknown } | null {
  try {
    return JSON.parse(readFileSync(join(server.stateDir, 'state.json'), 'utf8'))
  } catch {
    return null
  }
}

export { writeState } from '../helpers/server.js'

export function logText(server: { logFile: string }): string {
  return safeRead(server.logFile)
}

export function waitForLog(server: { logFile: string }, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  return waitFor(() => {
    const t = logText(server)
    return pattern.test(t) ? t : ''
  }, { timeoutMs, what: `a log line matching ${String(pattern)}` })
}

/** Waits until a file exists and is not empty; returns its content. */
export function waitForFile(path: string, timeoutMs = 10_000): Promise<string> {
  return waitFor(() => safeRead(path), { timeoutMs, what: `${path} to be written` })
}

/** The pids listed one per line in a file the fixtures write; killed at the end of the test. */
export function pidsFromFile(path: string): number[] {
  const pids = safeRead(path).split('\n').filter(Boolean).map(Number)
  killAtEnd(...pids)
  return pids
}

/** The SPEC's error body under `status`, with a JSON content type and no stack trace. */
export function expectError(res: { status: number; body: any; text: string; headers: Headers }, status: number, detail?: RegExp) {
  expect(res.status, res.text).toBe(status)
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/)
  expect(res.body, res.text).toEqual({ error: true, detail: expect.any(String), timestamp: expect.stringMatching(ISO_MS) })
  expect(res.body.detail.length).toBeGreaterThan(0)
  expect(res.text).not.toMatch(/\n\s+at |\.ts:\d+|\.js:\d+/)
  if (detail) expect(res.body.detail).toMatch(detail)
}

/** POST /api/cron/start expecting 200; the daemon's pid and instance id. */
export async function startDaemon(server: TestServer, body: Record<string, unknown> = { interval_seconds: 3600 }, headers?: Record<string, string>) {
  const res = await call(server.url, 'POST', '/api/cron/start', { json: body, headers })
  expect(res.status, res.text).toBe(200)
  const pid = Number(/\(PID: (\d+)\)$/.exec(res.body.message)?.[1])
  const state = readState(server)
  expect(state?.pid).toBe(pid)
  onTestFinished(() => killAll(treeOf(state!.instance_id)))
  return { pid, instanceId: state!.instance_id }
}

/** Spawns a process of the test's own (not ours to the server); killed at the end of the test. */
export function spawnForeign(argv: string[], opts: { detached?: boolean } = {}): ChildProcess {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: opts.detached ?? false })
  onTestFinished(() => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')))
  return child
}

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
  json: any
}

/**
 * Sends `request` bytes as they are over a new connection to the server and reads the answer
 * until the server closes it (send `Connection: close`). For paths, methods and bodies that
 * fetch() would normalise or refuse.
 */
export function rawRequest(url: string, request: Buffer | string, timeoutMs = 10_000): Promise<RawResponse> {
  const { hostname, port } = new URL(url)
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host: hostname, port: Number(port) })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer within ${timeoutMs} ms to ${String(request).slice(0, 80)}`))
    }, timeoutMs)
    socket.on('data', (d) => chunks.push(d))
    // The server may answer (e.g. 413) and close before the whole request was written.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') {
        clearTimeout(timer)
        reject(err)
      }
    })
    socket.on('close', () => {
      clearTimeout(timer)
      try {
        resolvePromise(parseResponse(Buffer.concat(chunks)))
      } catch (err) {
        reject(err)
      }
    })
    socket.write(request)
  })
}

function parseResponse(data: Buffer): RawResponse {
  // Skip interim answers (100 Continue): the final one follows.
  while (/^HTTP\/1\.[01] 1\d\d /.test(data.subarray(0, 16).toString('latin1'))) {
    const interimEnd = data.indexOf('\r\n\r\n')
    if (interimEnd < 0) break
    data = data.subarray(interimEnd + 4)
  }
  const end = data.indexOf('\r\n\r\n')
  if (end < 0) throw new Error(`no HTTP answer (got ${data.length} bytes: ${JSON.stringify(data.toString('latin1').slice(0, 200))})`)
  const [statusLine, ...headerLines] = data.subarray(0, end).toString('latin1').split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1])
  const headers: Record<string, string> = {}
  for (const h of headerLines) {
    const i = h.indexOf(':')
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim()
  }
  let body = data.subarray(end + 4)
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body)
  const text = body.toString('utf8')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status, headers, body: text, json }
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = []
  let at = 0
  while (at < data.length) {
    const lineEnd = data.indexOf('\r\n', at)
    if (lineEnd < 0) break
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16)
    if (!(size > 0)) break
    out.push(data.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
  return Buffer.concat(out)
}

function livePids(): number[] {
  return safeReaddir('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter(isAlive)
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path)
  } catch {
    return []
  }
}
