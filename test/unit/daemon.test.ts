/** The scheduling loop (src/daemon.ts) over fakes, with fake timers: ticks, overlap skip, run-now, stop. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createDaemon, type Daemon } from '../../src/daemon.js'
import type { Pipeline } from '../../src/pipeline.js'
import type { Schedule } from '../../src/ports.js'
import { createMemoryLogFile, createMemoryLogWriter } from '../fakes/log-store.js'
import { createFakeProcessTable, forkDuringScans } from '../fakes/process-table.js'
import { createMemoryRunHistory } from '../fakes/run-history.js'
import { createFakeRunner, type FakeScript } from '../fakes/runner.js'
import { createMemoryStateStore } from '../fakes/state-store.js'

const T0 = new Date('2025-12-26T10:30:45.000Z')
const PIPELINE: Pipeline = { name: 'p', steps: [{ name: 'extract', run: 'extract' }, { name: 'load', run: 'load' }] }
const EVERY_10: Schedule = { type: 'interval', interval_seconds: 10 }

let daemon: Daemon | null = null
beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
})
afterEach(async () => {
  // Each test leaves no daemon armed: stop it and let the stop finish on the fake clock.
  if (daemon) {
    const stopping = daemon.stop('cancel')
    await vi.runAllTimersAsync()
    await stopping
  }
  daemon = null
  vi.useRealTimers()
})

function setup(o: { scripts?: Record<string, FakeScript>; schedule?: Schedule; runImmediately?: boolean; pipeline?: Pipeline } = {}) {
  const table = createFakeProcessTable()
  const state = createMemoryStateStore()
  const runs = createMemoryRunHistory()
  const file = createMemoryLogFile()
  const log = createMemoryLogWriter(file)
  const runner = createFakeRunner(o.scripts ?? {}, { table })
  daemon = createDaemon({
    instanceId: 'inst-1',
    pid: 4242,
    runtime: 'test',
    schedule: o.schedule ?? EVERY_10,
    runImmediately: o.runImmediately ?? true,
    pipeline: o.pipeline ?? PIPELINE,
    pipelineFile: '/p/pipeline.json',
    pipelineDir: '/p',
    runner,
    procs: table.procs,
    log,
    runs,
    state,
    env: { PATH: '/usr/bin' },
    graceMs: 1000,
  })
  const d = daemon
  const current = async () => (await state.read()).state
  const finished = async () => (await runs.list(100)).filter((r) => r.status !== 'running').reverse()
  return { d, table, state, runs, file, log, runner, current, finished }
}

const plus = (ms: number) => new Date(T0.getTime() + ms).toISOString()

describe('start', () => {
  it('publishes its state and logs a start line - interval schedule', async () => {
    const s = setup({ runImmediately: false })
    expect(await s.d.start()).toBe(true)
    await vi.advanceTimersByTimeAsync(0)
    expect(await s.current()).toEqual({
      pid: 4242,
      instance_id: 'inst-1',
      runtime: 'test',
      started_at: T0.toISOString(),
      schedule: EVERY_10,
      run_immediately: false,
      pipeline_file: '/p/pipeline.json',
      next_run_at: plus(10_000),
      current_run: null,
      stopping: null,
    })
    expect(s.file.text).toMatch(/^\[[\d\- :]+\] Daemon started \(PID: 4242, interval: 10 seconds, pipeline: p, 2 steps\)\n$/)
  })

  it('returns false and changes nothing - another daemon holds the state', async () => {
    const s = setup()
    await s.state.create({ ...(await fakeState()), instance_id: 'other' })
    expect(await s.d.start()).toBe(false)
    expect((await s.current())!.instance_id).toBe('other')
    expect(s.runner.spawned).toEqual([])
    daemon = null
  })

  it('runs at once - run_immediately', async () => {
    const s = setup()
    await s.d.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(s.runner.spawned.map((p) => p.command)).toEqual(['extract', 'load'])
    expect(await s.finished()).toMatchObject([{ trigger: 'schedule', status: 'success', scheduled_at: T0.toISOString() }])
  })

  it('waits for the first tick - run_immediately false', async () => {
    const s = setup({ runImmediately: false })
    await s.d.start()
    await vi.advanceTimersByTimeAsync(9_999)
    expect(s.runner.spawned).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(s.runner.spawned.map((p) => p.command)).toEqual(['extract', 'load'])
  })
})

describe('ticks', () => {
  it('runs at t0 + k * interval with no drift - runs that take 3 s each', async () => {
    const s = setup({ scripts: { extract: { exitAfterMs: 3000 } } })
    await s.d.start()
    await vi.advanceTimersByTimeAsync(45_000)
    const runs = await s.finished()
    expect(runs.map((r) => r.scheduled_at)).toEqual([plus(0), plus(10_000), plus(20_000), plus(30_000), plus(40_000)])
    expect(runs.map((r) => r.started_at)).toEqual(runs.map((r) => r.scheduled_at))
    expect((await s.current())!.next_run_at).toBe(plus(50_000))
  })

  it('skips and logs a tick that comes during a run, recorded as skipped with a reason - 25 s run, 10 s interval', async () => {
    const s = setup({ scripts: { extract: { exitAfterMs: 25_000 } } })
    await s.d.start()
    const first = (await s.current())!.current_run!.id
    await vi.advanceTimersByTimeAsync(31_000)
    const runs = (await s.runs.list(100)).reverse()
    expect(runs.map((r) => [r.scheduled_at, r.status])).toEqual([
      [plus(0), 'success'],
      [plus(10_000), 'skipped'],
      [plus(20_000), 'skipped'],
      [plus(30_000), 'running'],
    ])
    expect(runs[1]).toMatchObject({ trigger: 'schedule', reason: `previous run ${first} still in progress`, steps: [], duration_ms: 0 })
    const skipLines = s.file.text.split('\n').filter((l) => l.includes('Skipping'))
    expect(skipLines).toHaveLength(2)
    expect(skipLines[0]).toMatch(new RegExp(`\\] Skipping scheduled run: the previous run \\(${first}\\) is still in progress$`))
  })

  it('publishes the step in progress and clears it after - current_run', async () => {
    const s = setup({ scripts: { load: { exitAfterMs: 500 } } })
    await s.d.start()
    await vi.advanceTimersByTimeAsync(100)
    expect((await s.current())!.current_run).toMatchObject({ trigger: 'schedule', step: 'load', index: 2, total: 2, started_at: T0.toISOString() })
    await vi.advanceTimersByTimeAsync(500)
    expect((await s.current())!.current_run).toBeNull()
  })

  it('follows the cron expression - 6-field cron, every 15 s', async () => {
    const s = setup({ schedule: { type: 'cron', cron: '*/15 * * * * *', timezone: 'UTC' }, runImmediately: false })
    await s.d.start()
    await vi.advanceTimersByTimeAsync(0)
    expect((await s.current())!.next_run_at).toBe('2025-12-26T10:31:00.000Z')
    await vi.advanceTimersByTimeAsync(31_000)
    expect((await s.finished()).map((r) => r.scheduled_at)).toEqual(['2025-12-26T10:31:00.000Z', '2025-12-26T10:31:15.000Z'])
  })
})

describe('runNow', () => {
  it('starts a manual run - idle daemon', async () => {
    const s = setup({ runImmediately: false })
    await s.d.start()
    expect(s.d.runNow()).toBe(true)
    await vi.advanceTimersByTimeAsync(0)
    expect(await s.finished()).toMatchObject([{ trigger: 'manual', status: 'success', scheduled_at: null }])
  })

  it('refuses - a run in progress', async () => {
    const s = setup({ scripts: { extract: { exitAfterMs: 5000 } } })
    await s.d.start()
    expect(s.d.runNow()).toBe(false)
    await vi.advanceTimersByTimeAsync(5000)
    expect(s.d.runNow()).toBe(true)
  })
})

describe('stop', () => {
  it('cancels the run, records it, removes its state and closes the log - cancel', async () => {
    const s = setup({ scripts: { extract: { hang: true } } })
    await s.d.start()
    const stopping = s.d.stop('cancel')
    await vi.advanceTimersByTimeAsync(0)
    await stopping
    await s.d.stopped
    expect(s.runner.spawned.map((p) => [p.command, p.signals])).toEqual([['extract', ['SIGTERM']]])
    expect(await s.finished()).toMatchObject([{ status: 'cancelled', steps: [{ name: 'extract', status: 'cancelled' }] }])
    expect(await s.current()).toBeNull()
    expect(s.log.closed).toBe(true)
    expect(s.file.text.trimEnd().split('\n').at(-1)).toMatch(/\] Daemon stopped \(PID: 4242\)$/)
    // Nothing is armed any more: time passing starts nothing.
    await vi.advanceTimersByTimeAsync(60_000)
    expect(s.runner.spawned).toHaveLength(1)
    daemon = null
  })

  it('lets the current run finish - drain', async () => {
    const s = setup({ scripts: { extract: { exitAfterMs: 5000 } } })
    await s.d.start()
    const stopping = s.d.stop('drain')
    await vi.advanceTimersByTimeAsync(0)
    expect((await s.current())!.stopping).toBe('drain')
    expect(s.d.runNow()).toBe(false)
    await vi.advanceTimersByTimeAsync(5000)
    await stopping
    expect(s.runner.spawned.map((p) => [p.command, p.signals])).toEqual([
      ['extract', []],
      ['load', []],
    ])
    expect(await s.finished()).toMatchObject([{ status: 'success' }])
    expect(s.file.text).toContain('Stop requested (drain): waiting for the current run to finish')
    expect(await s.current()).toBeNull()
    daemon = null
  })

  it('turns a drain into a cancel - cancel requested during a drain', async () => {
    const s = setup({ scripts: { extract: { hang: true } } })
    await s.d.start()
    const drain = s.d.stop('drain')
    await vi.advanceTimersByTimeAsync(100)
    expect(s.runner.spawned[0]!.signals).toEqual([])
    const cancel = s.d.stop('cancel')
    await vi.advanceTimersByTimeAsync(0)
    await Promise.all([drain, cancel])
    expect(s.runner.spawned[0]!.signals).toEqual(['SIGTERM'])
    expect(await s.finished()).toMatchObject([{ status: 'cancelled' }])
    daemon = null
  })

  it('kills processes of the pipeline left behind, by their marker - a step that leaves a child', async () => {
    const s = setup({ scripts: { extract: { leaveChild: true } }, runImmediately: true })
    await s.d.start()
    await vi.advanceTimersByTimeAsync(0)
    const left = await s.table.procs.findTagged('inst-1')
    expect(left).toHaveLength(1)
    const stopping = s.d.stop('cancel')
    await vi.advanceTimersByTimeAsync(0)
    await stopping
    expect(s.table.signalsTo(left[0]!)).toEqual(['SIGSTOP', 'SIGKILL'])
    expect(await s.table.procs.findTagged('inst-1')).toEqual([])
    expect(s.file.text).toContain(`Killed 1 leftover process(es) of the pipeline: ${left[0]}`)
    daemon = null
  })

  it('kills every generation before it logs the stop - a left-behind chain that forks a successor during each of the first 3 scans', async () => {
    const s = setup({ scripts: { extract: { leaveChild: true } }, runImmediately: true })
    await s.d.start()
    await vi.advanceTimersByTimeAsync(0)
    const left = await s.table.procs.findTagged('inst-1')
    expect(left).toHaveLength(1)
    const chain = forkDuringScans(s.table, s.table.get(left[0]!)!, 3)
    const stopping = s.d.stop('cancel')
    await vi.advanceTimersByTimeAsync(0)
    await stopping
    expect(chain.filter((p) => p.alive).map((p) => p.pid)).toEqual([])
    expect(chain).toHaveLength(4)
    expect(s.file.text).toContain(`Killed 4 leftover process(es) of the pipeline: ${chain.map((p) => p.pid).join(', ')}`)
    daemon = null
  })
})

async function fakeState() {
  return {
    pid: 1234,
    instance_id: 'x',
    runtime: 'test',
    started_at: T0.toISOString(),
    schedule: EVERY_10,
    run_immediately: true,
    pipeline_file: '/p/pipeline.json',
    next_run_at: null,
    current_run: null,
    stopping: null,
  }
}
