/** The controller's identity, stale-state, forced-stop and start-failure paths over fake primitives. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createController, type ControllerOptions } from '../../src/controller.js'
import { ApiError, ConfigError } from '../../src/errors.js'
import type { DaemonState, RunRecord } from '../../src/ports.js'
import { claimsState, createFakeLauncher, failsAtStart, initialState, neverReady, type FakeDaemon } from '../fakes/launcher.js'
import { createFakeProcessTable, forkDuringScans } from '../fakes/process-table.js'
import { createMemoryRunHistory } from '../fakes/run-history.js'
import { createMemoryStateBacking, createMemoryStateStore } from '../fakes/state-store.js'

afterEach(() => {
  vi.useRealTimers()
})

function setup(o: { daemon?: FakeDaemon; controller?: Partial<ControllerOptions> } = {}) {
  const table = createFakeProcessTable()
  const backing = createMemoryStateBacking()
  const state = createMemoryStateStore({ backing })
  const runs = createMemoryRunHistory()
  const launcher = createFakeLauncher({ table, state, daemon: o.daemon })
  const options: ControllerOptions = {
    state,
    procs: table.procs,
    launcher,
    runs,
    checkPipeline: async () => undefined,
    graceMs: 20,
    stopSlackMs: 30,
    startTimeoutMs: 200,
    pollMs: 1,
    ...o.controller,
  }
  return { table, backing, state, runs, launcher, controller: createController(options), options }
}

const interval = { schedule: { type: 'interval' as const, interval_seconds: 60 }, runImmediately: true }

function stateFor(pid: number, instanceId: string): DaemonState {
  return {
    pid,
    instance_id: instanceId,
    runtime: 'fake',
    started_at: '2025-12-26T10:00:00.000Z',
    schedule: { type: 'interval', interval_seconds: 60 },
    run_immediately: true,
    pipeline_file: 'pipeline.json',
    next_run_at: null,
    current_run: null,
    stopping: null,
  }
}

function runningRecord(id: string, instanceId: string): RunRecord {
  return { id, instance_id: instanceId, trigger: 'schedule', status: 'running', scheduled_at: null, started_at: '2025-12-26T10:00:00.000Z', finished_at: null, duration_ms: null, steps: [] }
}

describe('identity and stale state', () => {
  it('reads as not running, cleans the state and abandons its run, never signalling - dead pid', async () => {
    const s = setup()
    const dead = s.table.addOurs('i-dead')
    dead.exit(0)
    await s.state.create(stateFor(dead.pid, 'i-dead'))
    await s.runs.append(runningRecord('r1', 'i-dead'))
    const st = await s.controller.status()
    expect(st).toMatchObject({ is_running: false, pid: null })
    expect((await s.state.read()).state).toBeNull()
    expect(await s.runs.get('r1')).toMatchObject({ status: 'abandoned', reason: 'the daemon died during the run' })
    expect(s.table.signals).toEqual([])
  })

  it('never signals a recycled pid and answers not_running - foreign pid in the state', async () => {
    const s = setup()
    const stranger = s.table.addForeign()
    await s.state.create(stateFor(stranger.pid, 'i-old'))
    expect(await s.controller.stop('cancel')).toEqual({ ok: false, reason: 'not_running' })
    expect(await s.controller.runNow()).toMatchObject({ ok: false, reason: 'not_running' })
    expect((await s.controller.status()).is_running).toBe(false)
    expect(s.table.signals).toEqual([])
    expect(stranger.alive).toBe(true)
    expect((await s.state.read()).state).toBeNull()
  })

  it('starts a new daemon over a stale state - foreign pid in the state', async () => {
    const s = setup()
    const stranger = s.table.addForeign()
    await s.state.create(stateFor(stranger.pid, 'i-old'))
    const r = await s.controller.start(interval)
    expect(r).toMatchObject({ ok: true })
    expect(r.ok && r.pid).not.toBe(stranger.pid)
    expect(s.table.signalsTo(stranger.pid)).toEqual([])
  })

  it('quarantines the state and reads as not running - corrupt state file', async () => {
    const s = setup()
    s.backing.raw = '{"pid": 12'
    expect((await s.controller.status()).is_running).toBe(false)
    expect(s.backing.raw).toBeNull()
    expect(s.backing.quarantined).toEqual(['{"pid": 12'])
  })
})

describe('stop', () => {
  it('kills the group, reports forced and abandons the run - daemon ignores SIGTERM', async () => {
    const s = setup({ daemon: claimsState({ ignoreSigterm: true }) })
    const started = await s.controller.start(interval)
    const pid = started.ok ? started.pid : -1
    const inst = s.launcher.launches[0]!.instanceId
    await s.runs.append(runningRecord('r1', inst))
    const r = await s.controller.stop('cancel')
    expect(r).toMatchObject({ ok: true, pid, forced: true })
    expect(s.table.signals.filter((x) => x.pid === pid).map((x) => [x.signal, x.group])).toEqual([
      ['SIGTERM', false],
      ['SIGKILL', true],
    ])
    expect(s.table.isAlive(pid)).toBe(false)
    expect((await s.state.read()).state).toBeNull()
    expect(await s.runs.get('r1')).toMatchObject({ status: 'abandoned', reason: 'the daemon was killed after it did not stop in time' })
  })

  it('kills and reports processes of the tree left behind - survivors', async () => {
    const s = setup()
    await s.controller.start(interval)
    const inst = s.launcher.launches[0]!.instanceId
    const orphan = s.table.spawn({ tag: inst, pgid: 99999 })
    const r = await s.controller.stop('cancel')
    expect(r).toMatchObject({ ok: true, forced: false, survivors: [orphan.pid] })
    expect(s.table.signalsTo(orphan.pid)).toEqual(['SIGSTOP', 'SIGKILL'])
    expect(orphan.alive).toBe(false)
  })

  it('kills every generation and reports them as survivors - a left-behind chain that forks a successor during each of the first 3 scans', async () => {
    const s = setup()
    await s.controller.start(interval)
    const inst = s.launcher.launches[0]!.instanceId
    // Each successor is born after a scan's snapshot, as a child born after the /proc listing.
    const chain = forkDuringScans(s.table, s.table.spawn({ tag: inst, pgid: 99999 }), 3)
    const r = await s.controller.stop('cancel')
    expect(chain.filter((p) => p.alive).map((p) => p.pid)).toEqual([])
    expect(chain).toHaveLength(4)
    expect(r).toMatchObject({ ok: true, forced: false, survivors: chain.map((p) => p.pid) })
  })

  it('sends SIGQUIT, then SIGTERM - drain takes longer than drainTimeoutMs', async () => {
    const seen: string[] = []
    // A daemon busy with a long run: SIGQUIT only asks it to finish; SIGTERM ends it.
    const slowDrain: FakeDaemon = async (ctx) => {
      ctx.process.onSignal = (sig) => {
        seen.push(sig)
        if (sig === 'SIGTERM') void ctx.state.remove(ctx.instanceId).then(() => ctx.exit(0))
      }
      await ctx.state.create(initialState(ctx))
    }
    const s = setup({ daemon: slowDrain, controller: { drainTimeoutMs: 10 } })
    await s.controller.start(interval)
    expect(await s.controller.stop('drain')).toMatchObject({ ok: true, forced: false })
    expect(seen).toEqual(['SIGQUIT', 'SIGTERM'])
  })
})

describe('start failures', () => {
  it('throws a 500 with the daemon stderr last line - daemon dies at start-up', async () => {
    const s = setup({ daemon: failsAtStart('loading...\npipeline.json: steps[0].run: expected a string or an array of strings\n') })
    const err = await s.controller.start(interval).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 500, detail: 'Daemon failed to start: pipeline.json: steps[0].run: expected a string or an array of strings' })
  })

  it('kills the launched group and throws a 500 - daemon never reports ready', async () => {
    const s = setup({ daemon: neverReady() })
    const err = await s.controller.start(interval).catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 500, detail: 'Daemon failed to start: it did not report ready in time' })
    const pid = s.launcher.launches[0]!.pid
    expect(s.table.signals).toEqual([{ pid, signal: 'SIGKILL', group: true, delivered: true }])
  })

  it('launches nothing and rethrows the ConfigError - invalid pipeline file', async () => {
    const s = setup({ controller: { checkPipeline: async () => Promise.reject(new ConfigError('pipeline.json: steps: must have at least one step')) } })
    await expect(s.controller.start(interval)).rejects.toThrow('pipeline.json: steps: must have at least one step')
    expect(s.launcher.launches).toEqual([])
  })

  it('throws 503 - another start or stop holds the lock too long', async () => {
    vi.useFakeTimers()
    const s = setup()
    const other = createMemoryStateStore({ backing: s.backing, pid: 2 })
    let release!: () => void
    const held = other.withLock(() => new Promise<void>((r) => (release = r)))
    const attempt = s.controller.start(interval).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(61_000)
    expect(await attempt).toMatchObject({ status: 503, detail: expect.stringMatching(/^Busy: /) })
    release()
    await held
    expect(s.launcher.launches).toEqual([])
  })
})

describe('concurrency', () => {
  it('launches exactly one daemon - two controllers (two API servers) on one state', async () => {
    const a = setup()
    const otherState = createMemoryStateStore({ backing: a.backing, pid: 2 })
    const b = createController({ ...a.options, state: otherState, launcher: createFakeLauncher({ table: a.table, state: otherState }) })
    const results = await Promise.all([a.controller.start(interval), b.start(interval), a.controller.start(interval), b.start(interval)])
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    expect(a.table.signals).toEqual([])
  })
})

describe('run-now', () => {
  it('answers busy - daemon stopping', async () => {
    const s = setup()
    const started = await s.controller.start(interval)
    const read = await s.state.read()
    await s.state.write({ ...read.state!, stopping: 'drain' })
    expect(await s.controller.runNow()).toEqual({ ok: false, reason: 'busy', detail: 'Daemon is stopping' })
    expect(s.table.signalsTo(started.ok ? started.pid : -1)).toEqual([])
  })
})
