/**
 * The log file under external hands. Deleted or moved away while the daemon writes (logrotate
 * without copytruncate): the daemon reopens its log by path within a second, so tail and the
 * stream show new lines again, and SIGHUP reopens it at once. A log or state file path that is
 * a symlink is refused with the path named: no read, truncation or append goes through it.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { SseClient } from '../helpers/sse-client.js'
import { call, daemonPidsOf, expectError, isAlive, logText, readState, serverForTest, startDaemon, tempDir, waitFor, waitForLog, type TestServer } from '../helpers/real-server.js'
import { faultFixture } from './support.js'

// A line every 50 ms for 30 s: the log keeps moving through each test, and the step ends by itself.
const ticker = { name: 'ticker', steps: [{ name: 'tick', run: faultFixture('ticker.mjs', '600', '50') }] }
const REOPENED = /Log file was moved or deleted; reopened \S*pipeline\.log/
const HUP_REOPENED = /Log file reopened on SIGHUP: \S*pipeline\.log/

/** The tick numbers in a text, in order. */
const ticks = (text: string) => [...text.matchAll(/\] tick (\d+)$/gm)].map((m) => Number(m[1]))
const lastTick = (text: string) => Math.max(0, ...ticks(text))

/** A server running the ticker, once the log shows its first lines. */
async function tickingServer(): Promise<{ server: TestServer; pid: number }> {
  const server = await serverForTest({ pipeline: ticker })
  const { pid } = await startDaemon(server)
  await waitForLog(server, /\] tick 3\n/)
  return { server, pid }
}

/** Polls tail until it shows a tick after `after`; returns that text and how long it took. */
async function tailPast(server: TestServer, after: number, timeoutMs = 5000): Promise<{ text: string; ms: number }> {
  const t0 = Date.now()
  const text = await waitFor(
    async () => {
      const res = await call(server.url, 'GET', '/api/cron/logs/tail?lines=20')
      expect(res.status, res.text).toBe(200)
      return lastTick(res.text) > after ? res.text : ''
    },
    { timeoutMs, intervalMs: 50, what: `tail to show a tick after ${after}` },
  )
  return { text, ms: Date.now() - t0 }
}

/** Every tick from 1 to the last, each once. */
function expectContiguous(seen: number[]) {
  const sorted = [...seen].sort((a, b) => a - b)
  expect(sorted.length).toBeGreaterThan(0)
  const gaps = sorted.filter((n, i) => n !== i + 1).slice(0, 5)
  expect(gaps, `ticks 1..${sorted[sorted.length - 1]} each once`).toEqual([])
}

describe('log file deleted or moved while the daemon writes', () => {
  it('shows lines written after the deletion in tail within 2 s and in the open stream - log deleted mid-run', async () => {
    const { server } = await tickingServer()
    const stream = await SseClient.open(`${server.url}/api/cron/logs/stream?lines=1`)
    onTestFinished(() => stream.close())
    await stream.waitFor((c) => c.lines().length >= 1, 'the stream history')

    const before = lastTick(logText(server))
    rmSync(server.logFile)
    const { ms } = await tailPast(server, before)
    expect(ms, 'ms from the deletion until tail showed a new line').toBeLessThan(2000)
    expect(logText(server)).toMatch(REOPENED)

    // The stream follows the new file from its first line (the reopen notice) on.
    await stream.waitFor((c) => c.lines().some((l) => REOPENED.test(l)), 'the stream to show the reopen notice', 3000)
    const afterReopen = lastTick(logText(server))
    await stream.waitFor((c) => lastTick(c.lines().join('\n')) > afterReopen, 'the stream to show ticks from the new file', 3000)
  })

  it('writes to the path again within 2 s and no longer to the moved file, losing no line - log moved away as logrotate does', async () => {
    const { server } = await tickingServer()
    const moved = `${server.logFile}-20260101`
    const before = lastTick(logText(server))
    renameSync(server.logFile, moved)
    const { ms } = await tailPast(server, before)
    expect(ms, 'ms from the move until tail showed a new line').toBeLessThan(2000)

    // Tail reads the new file, so the daemon has reopened: the moved file is final.
    const movedSize = statSync(moved).size
    const now = lastTick(logText(server))
    await tailPast(server, now + 5)
    expect(statSync(moved).size, 'bytes written to the moved file after the reopen').toBe(movedSize)
    // Every line went to one of the two files: none lost at the switch, none written twice.
    expectContiguous([...ticks(readFileSync(moved, 'utf8')), ...ticks(logText(server))])
  })

  it('reopens the log on SIGHUP and keeps running - logrotate postrotate sends SIGHUP after moving the log', async () => {
    const { server, pid } = await tickingServer()
    const moved = `${server.logFile}.1`
    renameSync(server.logFile, moved)
    process.kill(pid, 'SIGHUP')
    const text = await waitForLog(server, HUP_REOPENED, 3000)
    expect(text).not.toMatch(/Daemon error/)
    const movedSize = statSync(moved).size
    await tailPast(server, lastTick(text) + 5)
    expect(isAlive(pid)).toBe(true)
    const status = await call(server.url, 'GET', '/api/cron/status')
    expect(status.body).toMatchObject({ is_running: true, pid })
    expect(statSync(moved).size, 'bytes written to the moved file after SIGHUP').toBe(movedSize)
  })
})

/** A file a symlink will point at, with a known content and an mtime in the past. */
function plantTarget(dir: string): { target: string; content: string; mtimeMs: number } {
  const target = join(dir, 'precious.txt')
  const content = 'precious data: nobody may read, truncate or append to this through a symlink\n'
  writeFileSync(target, content)
  const past = new Date('2020-01-02T03:04:05Z')
  utimesSync(target, past, past)
  return { target, content, mtimeMs: statSync(target).mtimeMs }
}

function expectUntouched(t: { target: string; content: string; mtimeMs: number }, link: string) {
  expect(readFileSync(t.target, 'utf8')).toBe(t.content)
  expect(statSync(t.target).mtimeMs).toBe(t.mtimeMs)
  expect(lstatSync(link).isSymbolicLink(), `${link} is still the symlink`).toBe(true)
}

/** /proc/<pid>/fd/<n> of the deleted file once at `path` that `pid` still holds, or ''. */
function heldFile(pid: number, path: string): string {
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const at = `/proc/${pid}/fd/${fd}`
    try {
      if (readlinkSync(at) === `${path} (deleted)`) return at
    } catch {
      // closed meanwhile
    }
  }
  return ''
}

const refusal = (path: string) => new RegExp(`refusing to follow a symlink: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)

/** The stream's answer: the status and headers, and the body unless it is an event stream (then cut). */
async function streamAnswer(url: string) {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), 5000)
  try {
    const res = await fetch(url, { signal: abort.signal })
    if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      abort.abort()
      return { status: res.status, headers: res.headers, text: '(an event stream)', body: null }
    }
    const text = await res.text()
    return { status: res.status, headers: res.headers, text, body: JSON.parse(text) }
  } finally {
    clearTimeout(timer)
  }
}

describe('log and state files that are symlinks', () => {
  it('answers 500 naming the path on every log route and start, and never reads or writes the target - log path is a symlink', async () => {
    const dir = tempDir('pc-faults-')
    const planted = plantTarget(dir)
    const link = join(dir, 'pipeline.log')
    symlinkSync(planted.target, link)
    // A refused clear must not have deleted the rotated files first.
    writeFileSync(`${link}.1`, 'rotated line\n')
    const server = await serverForTest({ dir, pipeline: ticker })
    const detail = refusal(link)

    for (const [method, path] of [
      ['GET', '/api/cron/logs'],
      ['GET', '/api/cron/logs?lines=5'],
      ['GET', '/api/cron/logs/tail'],
      ['DELETE', '/api/cron/logs'],
    ] as const) {
      const res = await call(server.url, method, path)
      expect(res.text, `${method} ${path}`).not.toContain('precious')
      expectError(res, 500, detail)
    }
    expectError(await streamAnswer(`${server.url}/api/cron/logs/stream`), 500, detail)

    const start = await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } })
    expectError(start, 500, new RegExp(`^Daemon failed to start: ${detail.source}`))
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    expect(readState(server)).toBeNull()
    expectUntouched(planted, link)
    expect(readFileSync(`${link}.1`, 'utf8')).toBe('rotated line\n')
  })

  it('writes on to the file it holds, says so once, and never opens the target - log replaced by a symlink while the daemon runs', async () => {
    const { server, pid } = await tickingServer()
    const planted = plantTarget(server.dir)
    rmSync(server.logFile)
    symlinkSync(planted.target, server.logFile)
    // The daemon's handle on the deleted file, read through /proc (the process is ours).
    const held = await waitFor(() => heldFile(pid, server.logFile), { what: 'the daemon to hold the deleted log' })
    const from = lastTick(readFileSync(held, 'utf8'))
    const text = await waitFor(
      () => {
        const t = readFileSync(held, 'utf8')
        return lastTick(t) > from + 30 ? t : ''
      },
      { timeoutMs: 5000, what: 'ticks over 1.5 s in the held file' },
    )
    const warnings = text.match(/Warning: could not reopen the log file \S+pipeline\.log \(refusing to follow a symlink: \S+\); writing on/g) ?? []
    expect(warnings.length, text.slice(-2000)).toBe(1)
    expectError(await call(server.url, 'GET', '/api/cron/logs/tail'), 500, refusal(server.logFile))
    expectUntouched(planted, server.logFile)
  })

  it.each([
    { file: 'state.json', status: 500 },
    { file: 'runs.jsonl', status: 500 },
    { file: 'lock', status: 200 },
    { file: 'daemon.stderr', status: 200 },
  ])('start answers 500 naming STATE_DIR/$file and leaves its target untouched - $file is a symlink', async ({ file, status }) => {
    const dir = tempDir('pc-faults-')
    const planted = plantTarget(dir)
    const server = await serverForTest({ dir, pipeline: ticker })
    // Planted as a local user who can write the state dir could.
    mkdirSync(server.stateDir, { recursive: true })
    const link = join(server.stateDir, file)
    symlinkSync(planted.target, link)
    const detail = refusal(link)

    const start = await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } })
    expectError(start, 500, detail)
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    const res = await call(server.url, 'GET', '/api/cron/status')
    if (status === 500) expectError(res, 500, detail)
    else expect(res.body).toMatchObject({ is_running: false, pid: null })
    expectUntouched(planted, link)
  })
})
