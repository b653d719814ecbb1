/**
 * Storage faults at start: a state dir that cannot be written (read-only mount), a log file
 * that cannot be opened (a directory, a read-only mount), and a full disk (a 1 MiB tmpfs
 * filled up). Start answers 500 with a detail that says what and where; nothing is left
 * half-started (no daemon process, no state file, no lock); once the fault is gone, start works.
 * During a run: a step that fills the state dir's disk makes a state write fail; status and
 * run-now agree meanwhile, and the state file recovers as soon as a write works again.
 * Root ignores file modes, so "not writable" is a read-only bind mount, not chmod. Without
 * mount rights (not root, or a container without CAP_SYS_ADMIN) the mount cases are skipped.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { call, daemonPidsOf, expectError, fixture, killDaemonsOf, logText, readState, serverForTest, startDaemon, tempDir, waitFor, waitForLog, type TestServer } from '../helpers/real-server.js'
import { faultFixture } from './support.js'

const pipeline = { name: 'quick', steps: [{ name: 'hello', run: fixture('print-lines.mjs', '1') }] }
const mounted: string[] = []

/** Runs `mount` with these arguments; false when this machine does not let us. */
function mount(...args: string[]): boolean {
  try {
    execFileSync('mount', args, { stdio: 'ignore' })
    const at = args[args.length - 1]!
    if (!mounted.includes(at)) mounted.push(at)
    return true
  } catch {
    return false
  }
}

/** Unmounts what `mount` mounted there (once; later calls do nothing). */
function umount(dir: string) {
  if (!mounted.includes(dir)) return
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' })
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' })
  }
  mounted.splice(mounted.indexOf(dir), 1)
}

const canMount = (() => {
  const probe = tempDir('pc-faults-mount-')
  const ok = mount('-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe)
  if (ok) umount(probe)
  rmSync(probe, { recursive: true, force: true })
  if (!ok) console.warn('\n!!!!! SKIPPED: the storage faults that need mount (read-only and full-disk cases); run as root with CAP_SYS_ADMIN to include them !!!!!\n')
  return ok
})()

afterAll(() => {
  for (const dir of [...mounted].reverse()) umount(dir)
})

/** A read-only view of a fresh folder at `at` (bind mount, then remount read-only). */
function readOnlyDir(at: string) {
  const real = `${at}.real`
  mkdirSync(real, { recursive: true })
  mkdirSync(at, { recursive: true })
  expect(mount('--bind', real, at)).toBe(true)
  expect(mount('-o', 'remount,bind,ro', at)).toBe(true)
  onTestFinished(() => umount(at))
}

/** A 1 MiB tmpfs at `at`, filled to the last byte. Returns the filler file, to free space later. */
function fullDisk(at: string): string {
  mkdirSync(at, { recursive: true })
  expect(mount('-t', 'tmpfs', '-o', 'size=1m,nr_inodes=64', 'tmpfs', at)).toBe(true)
  onTestFinished(() => umount(at))
  const filler = join(at, 'filler')
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'ignore' })
  } catch {
    // dd stops with "No space left on device": that is the point.
  }
  return filler
}

/** A server whose state dir and log file are given; their daemons are killed at the end. */
async function serverWith(paths: { stateDir?: string; logFile?: string }, steps: unknown = pipeline): Promise<TestServer & { state: string; log: string }> {
  const dir = tempDir('pc-faults-')
  const state = paths.stateDir ?? join(dir, 'state')
  const log = paths.logFile ?? join(dir, 'pipeline.log')
  const server = await serverForTest({ dir, pipeline: steps, args: ['--state-dir', state, '--log-file', log] })
  onTestFinished(() => killDaemonsOf(state))
  // The helpers (startDaemon, readState) look at stateDir and logFile.
  return Object.assign(server, { state, log, stateDir: state, logFile: log })
}

/** Start fails with a 500 that names the problem, and leaves no daemon, state or lock behind. */
async function expectCleanFailure(server: TestServer & { state: string }, detail: RegExp) {
  const res = await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } })
  expectError(res, 500, detail)
  expect(res.body.detail).not.toBe('Internal server error')
  expect(daemonPidsOf(server.state)).toEqual([])
  const left = existsSync(server.state) ? readdirSync(server.state) : []
  expect(left.filter((f) => f === 'state.json' || f.startsWith('lock') || f.endsWith('.tmp'))).toEqual([])
  const status = await call(server.url, 'GET', '/api/cron/status')
  expect(status.status).toBe(200)
  expect(status.body).toMatchObject({ is_running: false, pid: null })
  return res.body.detail as string
}

describe('storage faults at start', () => {
  it('answers 500 naming the log file and starts nothing - log file path is a directory', async () => {
    const dir = tempDir('pc-faults-')
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const log = join(dir, 'is-a-dir.log')
    mkdirSync(log)
    const server = await serverWith({ logFile: log })
    await expectCleanFailure(server, /EISDIR.*is-a-dir\.log/)
  })

  it('answers 500 naming the log file and starts nothing - log file under a path that is a file', async () => {
    const dir = tempDir('pc-faults-')
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'plain-file'), 'x')
    const server = await serverWith({ logFile: join(dir, 'plain-file', 'pipeline.log') })
    await expectCleanFailure(server, /(ENOTDIR|EEXIST).*plain-file/)
  })

  it.skipIf(!canMount)('answers 500 naming the state dir and starts nothing, then starts once writable - state dir on a read-only mount', async () => {
    const dir = tempDir('pc-faults-')
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const state = join(dir, 'ro-state')
    readOnlyDir(state)
    const server = await serverWith({ stateDir: state })
    await expectCleanFailure(server, /EROFS: read-only file system.*ro-state\/lock/)
    umount(state)
    await startDaemon(server)
  })

  it.skipIf(!canMount)('answers 500 naming the log file and starts nothing - log file on a read-only mount', async () => {
    const dir = tempDir('pc-faults-')
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    readOnlyDir(join(dir, 'ro-logs'))
    const server = await serverWith({ logFile: join(dir, 'ro-logs', 'pipeline.log') })
    await expectCleanFailure(server, /EROFS: read-only file system.*ro-logs\/pipeline\.log/)
  })

  it.skipIf(!canMount)('answers 500 saying the disk is full and starts nothing, then starts once space is freed - state dir and log on a full disk', async () => {
    const dir = tempDir('pc-faults-')
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const disk = join(dir, 'disk')
    const filler = fullDisk(disk)
    const server = await serverWith({ stateDir: join(disk, 'state'), logFile: join(disk, 'pipeline.log') })
    await expectCleanFailure(server, /ENOSPC: no space left on device.*disk\/state\/lock/)
    // A second try fails the same way (no lock left behind to turn it into a 503).
    await expectCleanFailure(server, /ENOSPC: no space left on device.*disk\/state\/lock/)
    rmSync(filler)
    await startDaemon(server)
    expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
  })

  it.skipIf(!canMount)('answers 500 saying the disk is full and starts nothing - only the log on a full disk', async () => {
    const dir = tempDir('pc-faults-')
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const disk = join(dir, 'disk')
    fullDisk(disk)
    const server = await serverWith({ logFile: join(disk, 'pipeline.log') })
    await expectCleanFailure(server, /cannot write the log file .*disk\/pipeline\.log: ENOSPC/)
  })
})

describe('storage faults during a run', () => {
  it.skipIf(!canMount)('agrees with status while the disk is full, then writes the state again by itself once space is freed - a step fills the state dir\'s disk', async () => {
    const dir = tempDir('pc-faults-')
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const disk = join(dir, 'disk')
    mkdirSync(disk)
    expect(mount('-t', 'tmpfs', '-o', 'size=1m,nr_inodes=64', 'tmpfs', disk)).toBe(true)
    onTestFinished(() => umount(disk))
    const stateDir = join(disk, 'state')
    const filler = join(disk, 'filler')
    const steps = { name: 'filler', steps: [{ name: 'fill', run: faultFixture('fill-disk.mjs', join(stateDir, 'state.json'), filler, join(dir, 'filled-once')) }] }
    // The log stays on another disk, so every warning can be read.
    const server = await serverWith({ stateDir }, steps)
    await startDaemon(server, { interval_seconds: 3600 })

    // The run ends and is recorded, but the write that clears current_run fails.
    await waitForLog(server, /Warning: could not write state: ENOSPC/)
    const run = await waitFor(async () => {
      const runs = (await call(server.url, 'GET', '/api/cron/runs')).body.runs as any[]
      return runs.find((r) => r.status !== 'running')
    }, { what: 'the filling run to be recorded' })
    expect(run).toMatchObject({ status: 'success', trigger: 'schedule' })
    expect(readState(server)?.current_run).toMatchObject({ id: run.id })

    // Status and run-now agree: no run is in progress (the state is pushed by the daemon, not read
    // back from the stale file), and run-now starts one, which status then shows.
    const status = await call(server.url, 'GET', '/api/cron/status')
    expect(status.body).toMatchObject({ is_running: true, current_run: null, last_run: { id: run.id } })
    const full = await call(server.url, 'POST', '/api/cron/run')
    expect(full.status, full.text).toBe(200)
    const during = full.body.run_id as string
    await waitFor(async () => {
      const s = (await call(server.url, 'GET', '/api/cron/status')).body
      return s.current_run?.id === during || s.last_run?.id === during
    }, { what: 'status to show the manual run started on a full disk' })

    rmSync(filler)
    // The daemon writes the state again by itself, within about a second.
    await waitFor(() => readState(server)?.current_run === null, { timeoutMs: 5000, what: 'state.json to drop the finished runs' })
    expect(logText(server)).toMatch(/State file written again/)
    const res = await call(server.url, 'POST', '/api/cron/run')
    expect(res.status, res.text).toBe(200)
    const id = res.body.run_id as string
    await waitFor(async () => {
      const s = (await call(server.url, 'GET', '/api/cron/status')).body
      return s.current_run?.id === id || s.last_run?.id === id
    }, { what: 'status to show the manual run' })
    expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
  })
})
