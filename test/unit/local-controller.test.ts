/**
 * One pipeline's controller (src/control/local-controller.ts) with the REAL daemon link, keeper,
 * supervisor and scheduler over a memory machine: start, stop, status, run-now, pause and resume,
 * stale state, and a daemon that does not answer.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, ConfigError } from '../../src/errors.js'
import { failsAtStart, neverReady } from '../fakes/launcher.js'
import { createMemoryLock } from '../fakes/lock.js'
import { leftState, runningRecord } from '../fakes/records.js'
import type { MemorySystem } from '../fakes/system.js'
import { waitFor } from '../helpers/wait.js'
import { EVERY_MINUTE, pidOf, QUIET, systemsPerTest } from './systems.js'

const system = systemsPerTest()
// Registered after the systems' hook, so it runs first: the systems end on real timers.
afterEach(() => void vi.useRealTimers())

/** Starts the default pipeline and waits for its first step to be spawned. */
async function started(s: MemorySystem, command = 'extract') {
  const r = await s.controller.start(EVERY_MINUTE)
  const step = await waitFor(() => s.runner.spawned.find((p) => p.command === command && !p.result), { what: `step ${command}` })
  return { pid: pidOf(r), step, live: s.link.live('default')! }
}

describe('start', () => {
  it('launches the daemon, records what should run and answers the daemon pid - first start', async () => {
    const s = system()
    const r = await s.controller.start(QUIET)
    expect(r).toEqual({ ok: true, pid: s.launcher.launches[0]!.pid })
    expect((await s.desired.read()).value).toEqual({
      state: 'started',
      home: { name: 'default', file: '/srv/pipeline.json', log_file: '/logs/pipeline.log', dir: '/state' },
      schedule: { type: 'interval', interval_seconds: 60 },
      run_immediately: false,
      anchor: expect.any(String),
      paused: false,
      updated_at: expect.any(String),
      // As checked at this start: what a daemon that resumes it runs.
      pipeline: s.machine.pipelineFiles.get('/srv/pipeline.json'),
    })
    expect(await s.controller.status()).toMatchObject({ is_running: true, pid: pidOf(r), message: `Daemon is running (PID: ${pidOf(r)})` })
    expect(s.table.signals).toEqual([])
  })

  it('answers already_running with the daemon pid and launches nothing more - started twice', async () => {
    const s = system()
    const first = await s.controller.start(QUIET)
    expect(await s.controller.start(EVERY_MINUTE)).toEqual({ ok: false, reason: 'already_running', pid: pidOf(first) })
    expect(s.launcher.launches).toHaveLength(1)
    expect((await s.desired.read()).value!.run_immediately).toBe(false)
  })

  it('runs a second pipeline in the same daemon - two pipelines started', async () => {
    const s = system({ pipelines: { orders: { name: 'orders', steps: [{ name: 'a', run: 'a' }] }, users: { name: 'users', steps: [{ name: 'b', run: 'b' }] } } })
    const orders = await s.pipeline('orders').controller.start(QUIET)
    const users = await s.pipeline('users').controller.start(QUIET)
    expect(users).toEqual(orders)
    expect(s.launcher.launches).toHaveLength(1)
    expect((await s.pipeline('users').desired.read()).value!.home).toEqual({ name: 'users', file: '/srv/pipelines/users.json', log_file: '/logs/users.log', dir: '/state/pipelines/users' })
  })

  it('launches exactly one daemon - two API servers starting the pipeline at once on one state dir', async () => {
    const a = system()
    const b = system({ machine: a.machine })
    const results = await Promise.all([a.controller.start(QUIET), b.controller.start(QUIET), a.controller.start(QUIET), b.controller.start(QUIET)])
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    expect(new Set(results.map(pidOf)).size).toBe(1)
    expect(a.machine.launches).toHaveLength(1)
  })

  it('rethrows the ConfigError and launches nothing - pipeline file unreadable', async () => {
    const s = system()
    s.machine.pipelineFiles.clear()
    const err = await s.controller.start(QUIET).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toBe('/srv/pipeline.json: cannot read the pipeline file (ENOENT)')
    expect(s.launcher.launches).toEqual([])
    expect(await s.desired.read()).toEqual({ value: null })
  })

  it('throws 500 with the last line the daemon printed - daemon dies at start-up', async () => {
    const s = system({ daemon: failsAtStart('opening /state/daemon.sock...\nEACCES: permission denied, /state/daemon.sock\n') })
    const err = await s.controller.start(QUIET).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 500, detail: 'Daemon failed to start: EACCES: permission denied, /state/daemon.sock' })
    expect(await s.desired.read()).toEqual({ value: null })
  })

  it('kills the daemon it launched, by its group, and throws 500 - daemon never reports ready', async () => {
    const s = system({ daemon: neverReady(), keeper: { startTimeoutMs: 100 } })
    const err = await s.controller.start(QUIET).catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 500, detail: 'Daemon failed to start: it did not report ready in time' })
    const pid = s.launcher.launches[0]!.pid
    expect(s.table.signals).toEqual([{ pid, signal: 'SIGKILL', group: true, delivered: true }])
  })

  it('reads the pipeline file once per start and runs what it checked - the file goes bad right after the check', async () => {
    const s = system()
    const load = s.machine.loadPipeline
    let reads = 0
    // A second read (the daemon's own) would fail: the start sends the file as the server checked it.
    s.machine.loadPipeline = (file) => {
      if (++reads > 1) throw new ConfigError(`${file}: steps: must have at least one step`)
      return load(file)
    }
    const result = await s.controller.start(QUIET)
    expect(result).toMatchObject({ ok: true })
    expect(reads).toBe(1)
    expect((await s.controller.status()).is_running).toBe(true)
  })

  it('throws 503 Busy and launches nothing - another server holds the lock for over a minute', async () => {
    vi.useFakeTimers()
    const s = system()
    const other = createMemoryLock({ backing: s.machine.lock, pid: s.table.spawn().pid, isAlive: s.table.isAlive })
    let release!: () => void
    const held = other.withLock(() => new Promise<void>((resolve) => (release = resolve)))
    const attempt = s.controller.start(QUIET).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(61_000)
    expect(await attempt).toMatchObject({ status: 503, detail: 'Busy: another start or stop is in progress; try again' })
    release()
    await held
    expect(s.launcher.launches).toEqual([])
  })

  it('takes the lock of a server that died holding it - lock holder gone', async () => {
    const s = system()
    const crashed = s.table.spawn()
    void createMemoryLock({ backing: s.machine.lock, pid: crashed.pid, isAlive: s.table.isAlive }).withLock(() => new Promise<void>(() => undefined))
    crashed.exit(null, 'SIGKILL')
    expect((await s.controller.start(QUIET)).ok).toBe(true)
  })
})

describe('stop', () => {
  it('cancels the run, waits for the daemon to exit and answers its pid, never signalling it - cancel', async () => {
    const s = system({ scripts: { extract: { hang: true } } })
    const { pid, step } = await started(s)
    expect(await s.controller.stop('cancel')).toEqual({ ok: true, pid, survivors: [], forced: false })
    expect(step.signals).toEqual(['SIGTERM'])
    expect(s.table.isAlive(pid)).toBe(false)
    expect(s.table.signalsTo(pid)).toEqual([])
    expect((await s.desired.read()).value!.state).toBe('stopped')
    expect(await s.state.read()).toEqual({ value: null })
    expect((await s.runs.list(1))[0]).toMatchObject({ status: 'cancelled' })
    expect(await s.controller.status()).toMatchObject({ is_running: false, last_run: { status: 'cancelled' } })
  })

  it('lets the current run finish - drain', async () => {
    const s = system({ scripts: { extract: { exitAfterMs: 100 } } })
    const { step } = await started(s)
    expect(await s.controller.stop('drain')).toMatchObject({ ok: true, forced: false })
    expect(step.signals).toEqual([])
    expect((await s.runs.list(1))[0]).toMatchObject({ status: 'success' })
    expect(s.runner.spawned.map((p) => p.command)).toEqual(['extract', 'node transform.js', 'load'])
  })

  it('answers not_running - nothing running', async () => {
    const s = system()
    expect(await s.controller.stop('cancel')).toEqual({ ok: false, reason: 'not_running' })
    expect(s.launcher.launches).toEqual([])
  })

  it('leaves the daemon running for the other pipeline - one of two stopped', async () => {
    const s = system({ pipelines: { orders: { name: 'orders', steps: [{ name: 'a', run: 'a' }] }, users: { name: 'users', steps: [{ name: 'b', run: 'b' }] } } })
    const r = await s.pipeline('orders').controller.start(QUIET)
    await s.pipeline('users').controller.start(QUIET)
    expect(await s.pipeline('orders').controller.stop('cancel')).toMatchObject({ ok: true, pid: pidOf(r) })
    expect(s.table.isAlive(pidOf(r))).toBe(true)
    expect(await s.pipeline('users').controller.status()).toMatchObject({ is_running: true, pid: pidOf(r) })
    expect((await s.pipeline('users').desired.read()).value!.state).toBe('started')
  })

  it('lists a process that outlived every kill once - a step stuck in uninterruptible sleep', async () => {
    const s = system()
    await s.controller.start(QUIET)
    const stuck = s.table.spawn({ tag: s.link.live('default')!.instance_id, unkillable: true })
    const r = await s.controller.stop('cancel')
    stuck.exit(0)
    expect(r).toMatchObject({ ok: true, forced: false, survivors: [stuck.pid] })
  })

  it('kills the frozen daemon after checking it is ours, ends its tree and abandons the run - the daemon does not answer a stop', async () => {
    vi.useFakeTimers()
    const s = system({ scripts: { extract: { hang: true } } })
    const starting = s.controller.start(EVERY_MINUTE)
    await vi.advanceTimersByTimeAsync(100)
    const pid = pidOf(await starting)
    const step = s.runner.spawned[0]!
    const runId = s.link.live('default')!.current_run!.id
    s.table.procs.signal(pid, 'SIGSTOP')
    const stopping = s.controller.stop('cancel')
    // The daemon is given its grace and a slack of 5 s to answer.
    await vi.advanceTimersByTimeAsync(5_000)
    expect(s.table.isAlive(pid)).toBe(true)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(await stopping).toEqual({ ok: true, pid, survivors: [step.pid], forced: true })
    expect(s.table.signalsTo(pid)).toEqual(['SIGSTOP', 'SIGKILL'])
    expect(s.table.signalsTo(step.pid)).toEqual(['SIGSTOP', 'SIGKILL'])
    expect(await s.runs.get(runId)).toMatchObject({ status: 'abandoned', reason: 'the daemon was killed after it did not stop in time' })
    expect(await s.state.read()).toEqual({ value: null })
    expect((await s.desired.read()).value!.state).toBe('stopped')
    // The keeper sees the daemon go, and restarts nothing: nothing should run.
    await vi.advanceTimersByTimeAsync(1_000)
    expect(s.launcher.launches).toHaveLength(1)
    const down = s.shutdown()
    await vi.advanceTimersByTimeAsync(1_000)
    await down
  })
})

describe('run-now', () => {
  it('starts a manual run and answers its id - idle pipeline', async () => {
    const s = system()
    await s.controller.start(QUIET)
    const r = await s.controller.runNow()
    expect(r).toEqual({ ok: true, runId: expect.any(String) })
    const run = await waitFor(async () => {
      const found = await s.runs.get(r.ok ? r.runId : '')
      return found?.status === 'success' ? found : null
    })
    expect(run.trigger).toBe('manual')
  })

  it('answers busy, naming the run - a run in progress', async () => {
    const s = system({ scripts: { extract: { hang: true } } })
    const { live } = await started(s)
    expect(await s.controller.runNow()).toEqual({ ok: false, reason: 'busy', detail: `A run is in progress (${live.current_run!.id})` })
  })

  it('accepts a run the moment the last one is reported finished - no window where a finished run still counts as busy', async () => {
    const s = system({ scripts: { load: { exitAfterMs: 30 } } })
    await s.controller.start(EVERY_MINUTE)
    await waitFor(async () => (await s.controller.status()).last_run?.status === 'success')
    expect((await s.controller.runNow()).ok).toBe(true)
  })

  it('answers not_running - nothing running', async () => {
    const s = system()
    expect(await s.controller.runNow()).toEqual({ ok: false, reason: 'not_running', detail: 'Daemon is not running' })
  })

  it('throws 503 and starts no run - the daemon is frozen and does not answer', async () => {
    const s = system({ controller: { answerTimeoutMs: 50 } })
    const { pid } = { pid: pidOf(await s.controller.start(QUIET)) }
    s.table.procs.signal(pid, 'SIGSTOP')
    const err = await s.controller.runNow().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 503, detail: expect.stringMatching(/^Daemon did not answer within \d+ s \(PID: \d+\); it may be frozen or overloaded\. No run was started\.$/) })
    expect(s.runner.spawned).toEqual([])
  })
})

describe('pause and resume', () => {
  it('pauses: status and the desired state say so, and a tick is recorded skipped', async () => {
    const s = system()
    const pid = pidOf(await s.controller.start(QUIET))
    expect(await s.controller.pause()).toEqual({ ok: true })
    expect(await s.controller.status()).toMatchObject({ is_running: true, paused: true, message: `Daemon is paused (PID: ${pid})` })
    expect((await s.desired.read()).value).toMatchObject({ state: 'started', paused: true })
    expect(s.logFile.text).toContain('Pipeline paused: scheduled runs are skipped until it is resumed')
  })

  it('answers 409 conflict - pipeline already paused', async () => {
    const s = system()
    await s.controller.start(QUIET)
    await s.controller.pause()
    expect(await s.controller.pause()).toEqual({ ok: false, reason: 'conflict', detail: 'The pipeline is already paused' })
  })

  it('resumes: status and the desired state say so', async () => {
    const s = system()
    await s.controller.start(QUIET)
    await s.controller.pause()
    expect(await s.controller.resume()).toEqual({ ok: true })
    expect(await s.controller.status()).toMatchObject({ paused: false, message: expect.stringMatching(/^Daemon is running/) })
    expect((await s.desired.read()).value).toMatchObject({ paused: false })
  })

  it('answers 409 conflict - pipeline not paused', async () => {
    const s = system()
    await s.controller.start(QUIET)
    expect(await s.controller.resume()).toEqual({ ok: false, reason: 'conflict', detail: 'The pipeline is not paused' })
  })

  it('answers not_running for both - nothing running', async () => {
    const s = system()
    expect(await s.controller.pause()).toEqual({ ok: false, reason: 'not_running', detail: 'Daemon is not running' })
    expect(await s.controller.resume()).toEqual({ ok: false, reason: 'not_running', detail: 'Daemon is not running' })
  })
})

describe('status', () => {
  it('answers from the pushed state without reading a file - running', async () => {
    const s = system({ scripts: { transform: { hang: true }, 'node transform.js': { hang: true } } })
    const { pid, live } = await started(s, 'node transform.js')
    const unread = () => Promise.reject(new Error('status read a file'))
    s.state.read = unread
    s.desired.read = unread
    s.runs.list = unread
    const st = await s.controller.status()
    expect(st).toEqual({
      is_running: true,
      pid,
      message: `Daemon is running (PID: ${pid})`,
      paused: false,
      schedule: { type: 'interval', interval_seconds: 60 },
      started_at: live.started_at,
      next_run_at: live.next_run_at,
      next_runs: [0, 1, 2, 3, 4].map((k) => new Date(Date.parse(live.next_run_at!) + k * 60_000).toISOString()),
      current_run: expect.objectContaining({ step: 'transform', index: 2, total: 3, trigger: 'schedule' }),
      last_run: null,
    })
  })

  it('says the daemon could not resume it - started before the daemon began, by a desired.json without the pipeline, its file removed since', async () => {
    const s = system({ pipelines: { orders: { name: 'orders', steps: [{ name: 'a', run: 'a' }] }, users: { name: 'users', steps: [{ name: 'b', run: 'b' }] } } })
    const users = s.pipeline('users')
    const before = new Date(Date.now() - 60_000).toISOString()
    await users.desired.write({ state: 'started', home: users.home, schedule: { type: 'interval', interval_seconds: 60 }, run_immediately: false, anchor: before, paused: false, updated_at: before })
    s.machine.pipelineFiles.delete(users.home.file)
    const pid = pidOf(await s.pipeline('orders').controller.start(QUIET))
    expect(await users.controller.status()).toMatchObject({
      is_running: false,
      message: `Not running: the daemon (PID: ${pid}) could not resume it after a restart; its log says why. Start it again, or stop it to drop it`,
    })
    expect(s.machine.logFile(users.home.log_file).text).toMatch(/Could not resume the pipeline after a restart: \/srv\/pipelines\/users\.json: /)
    // Stopped, it is dropped: nothing brings it back, and status says only that it is not running.
    expect(await users.controller.stop('cancel')).toEqual({ ok: false, reason: 'not_running' })
    expect((await users.desired.read()).value?.state).toBe('stopped')
    expect((await users.controller.status()).message).toBe('Daemon is not running')
  })

  it('sees a daemon another server started - second server on the state dir', async () => {
    const a = system()
    const b = system({ machine: a.machine })
    const pid = pidOf(await a.controller.start(QUIET))
    expect(await b.controller.status()).toMatchObject({ is_running: true, pid })
    await a.controller.stop('cancel')
    await waitFor(async () => !(await b.controller.status()).is_running, { what: 'the second server to see the stop' })
  })
})

describe('stale state', () => {
  it('reads as not running, cleans the state and abandons its run, never signalling - state of a dead daemon', async () => {
    const s = system()
    const dead = s.table.spawn({ instanceId: 'daemon-0' })
    dead.exit(null, 'SIGKILL')
    await s.state.write(leftState(dead.pid, 'daemon-0', 'inst-0'))
    await s.runs.append(runningRecord('r1', 'inst-0'))
    expect(await s.controller.status()).toMatchObject({ is_running: false, pid: null, message: 'Daemon is not running' })
    expect(await s.state.read()).toEqual({ value: null })
    expect(await s.runs.get('r1')).toMatchObject({ status: 'abandoned', reason: 'the daemon died during the run' })
    expect(s.table.signals).toEqual([])
  })

  it('never signals a recycled pid and answers not_running - state naming a process of someone else', async () => {
    const s = system()
    const stranger = s.table.addForeign()
    await s.state.write(leftState(stranger.pid, 'daemon-0', 'inst-0'))
    expect(await s.controller.stop('cancel')).toEqual({ ok: false, reason: 'not_running' })
    expect(await s.controller.runNow()).toMatchObject({ ok: false, reason: 'not_running' })
    expect((await s.controller.status()).is_running).toBe(false)
    expect(s.table.signals).toEqual([])
    expect(stranger.alive).toBe(true)
    expect(await s.state.read()).toEqual({ value: null })
  })

  it('starts a new daemon over it - state naming a process of someone else', async () => {
    const s = system()
    const stranger = s.table.addForeign()
    await s.state.write(leftState(stranger.pid, 'daemon-0', 'inst-0'))
    const r = await s.controller.start(QUIET)
    expect(r.ok && r.pid).not.toBe(stranger.pid)
    expect(s.table.signalsTo(stranger.pid)).toEqual([])
  })

  it('moves it aside and reads as not running - corrupt state file', async () => {
    const s = system()
    s.machine.disk.corrupt('/state/state.json', '{"pid": 12')
    expect((await s.controller.status()).is_running).toBe(false)
    expect(s.machine.disk.files.get('/state/state.json')).toBeUndefined()
    expect(s.machine.disk.files.get('/state/state.json.corrupt-1')).toBe('{"pid": 12')
  })

  it('answers 503 and leaves the daemon alone - state naming a live daemon of ours that does not listen', async () => {
    const s = system()
    const silent = s.table.spawn({ instanceId: 'daemon-0' })
    await s.state.write(leftState(silent.pid, 'daemon-0', 'inst-0'))
    const err = await s.controller.start(QUIET).catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 503, detail: 'The daemon holds this pipeline but does not answer; try again' })
    expect(s.table.signals).toEqual([])
    expect((await s.state.read()).value).toMatchObject({ pid: silent.pid })
    silent.exit(0)
  })
})
