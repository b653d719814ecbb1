/** One pipeline's scheduler (src/daemon/scheduler.ts) over fakes, with fake timers: ticks, overlap, pause, run-now, stop. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { DesiredState, PipelineLive, PipelineStateFile } from '../../src/daemon/protocol.js'
import { pipelineStateFileSchema } from '../../src/daemon/protocol.js'
import { createScheduler, type PipelineScheduler } from '../../src/daemon/scheduler.js'
import type { Pipeline } from '../../src/pipeline.js'
import type { JsonFile, RunRecord, Schedule } from '../../src/ports.js'
import { createMemoryDisk } from '../fakes/json-file.js'
import { createMemoryLogFile, createMemoryLogWriter } from '../fakes/log-store.js'
import { createFakeProcessTable } from '../fakes/process-table.js'
import { createMemoryRunHistory } from '../fakes/run-history.js'
import { createFakeRunner, type FakeScript } from '../fakes/runner.js'

const T0 = new Date('2025-12-26T10:30:45.000Z')
const PIPELINE: Pipeline = { name: 'p', steps: [{ name: 'extract', run: 'extract' }, { name: 'load', run: 'load' }] }
const EVERY_10: Schedule = { type: 'interval', interval_seconds: 10 }
const plus = (ms: number) => new Date(T0.getTime() + ms).toISOString()

let scheduler: PipelineScheduler | null = null
beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
})
afterEach(async () => {
  // No test leaves a schedule armed: stop it, and let the stop finish on the fake clock.
  if (scheduler) {
    const stopping = scheduler.stop('cancel')
    await vi.runAllTimersAsync()
    await stopping
  }
  scheduler = null
  vi.useRealTimers()
})

interface SetupOptions {
  scripts?: Record<string, FakeScript>
  schedule?: Schedule
  runImmediately?: boolean
  paused?: boolean
  anchor?: Date
  drainTimeoutMs?: number
  history?: RunRecord[]
  /** Each append of the run history takes this long (a busy disk, or 50 runs recorded at once). */
  appendMs?: number
  /** Each append is readable at once but is answered this much later (a file's close after its write). */
  settleMs?: number
}

function setup(o: SetupOptions = {}) {
  const table = createFakeProcessTable()
  const stateFile: JsonFile<PipelineStateFile> = createMemoryDisk().jsonFile('/state/state.json', pipelineStateFileSchema)
  const runs = createMemoryRunHistory(o.history ?? [])
  if (o.appendMs || o.settleMs) {
    const append = runs.append
    const pause = (ms?: number) => (ms ? new Promise((resolve) => setTimeout(resolve, ms)) : undefined)
    runs.append = async (run) => {
      await pause(o.appendMs)
      await append(run)
      await pause(o.settleMs)
    }
  }
  const file = createMemoryLogFile()
  const log = createMemoryLogWriter(file)
  const runner = createFakeRunner(o.scripts ?? {}, { table })
  const pushed: PipelineLive[] = []
  const desired: DesiredState = {
    state: 'started',
    home: { name: 'orders', file: '/srv/pipelines/orders.json', log_file: '/logs/orders.log', dir: '/state/pipelines/orders' },
    schedule: o.schedule ?? EVERY_10,
    run_immediately: o.runImmediately ?? true,
    anchor: (o.anchor ?? T0).toISOString(),
    paused: o.paused ?? false,
    updated_at: T0.toISOString(),
  }
  const s = createScheduler({
    desired,
    instanceId: 'inst-1',
    daemon: { pid: 4242, instanceId: 'daemon-1', runtime: 'test' },
    pipeline: PIPELINE,
    runner,
    procs: table.procs,
    log,
    runs,
    stateFile,
    env: { PATH: '/usr/bin' },
    graceMs: 1000,
    drainTimeoutMs: o.drainTimeoutMs ?? 60_000,
    onChange: (live) => pushed.push(live),
  })
  scheduler = s
  const current = async () => (await stateFile.read()).value
  const finished = async () => (await runs.list(100)).filter((r) => r.status !== 'running').reverse()
  const lines = () => file.text.split('\n').slice(0, -1)
  return { s, table, stateFile, runs, file, log, runner, pushed, current, finished, lines }
}

/** Stops the scheduler and lets the stop finish; the afterEach has nothing left to do. */
async function stopped(s: PipelineScheduler, mode: 'cancel' | 'drain', advanceMs = 0) {
  const stopping = s.stop(mode)
  await vi.advanceTimersByTimeAsync(advanceMs)
  const result = await stopping
  scheduler = null
  return result
}

describe('start', () => {
  it('writes its state file, pushes the same state and logs a start line - interval schedule', async () => {
    const t = setup({ runImmediately: false })
    await t.s.start({ resumed: false })
    await vi.advanceTimersByTimeAsync(0)
    const live: PipelineLive = {
      instance_id: 'inst-1',
      started_at: T0.toISOString(),
      schedule: EVERY_10,
      anchor: T0.toISOString(),
      next_run_at: plus(10_000),
      current_run: null,
      last_run: null,
      paused: false,
      stopping: null,
    }
    expect(await t.current()).toEqual({ ...live, pending_webhooks: [], pid: 4242, daemon_instance: 'daemon-1', runtime: 'test', run_immediately: false, pipeline_file: '/srv/pipelines/orders.json' })
    expect(t.pushed.at(-1)).toEqual(live)
    expect(t.s.live()).toEqual(live)
    expect(t.lines()).toEqual([expect.stringMatching(/^\[[\d\- :]+\] Daemon started \(PID: 4242, interval: 10 seconds, pipeline: p, 2 steps\)$/)])
  })

  it('runs at once, on the anchor - run_immediately', async () => {
    const t = setup()
    await t.s.start({ resumed: false })
    await vi.advanceTimersByTimeAsync(0)
    expect(t.runner.spawned.map((p) => p.command)).toEqual(['extract', 'load'])
    expect(await t.finished()).toMatchObject([{ trigger: 'schedule', status: 'success', scheduled_at: T0.toISOString(), instance_id: 'inst-1' }])
  })

  it('gives every step the marker of this start, the pipeline and the run - step environment', async () => {
    const t = setup()
    await t.s.start({ resumed: false })
    await vi.advanceTimersByTimeAsync(0)
    const [run] = await t.finished()
    expect(t.runner.spawned[0]!.req.env).toEqual({
      PATH: '/usr/bin',
      PIPELINE_CRON_INSTANCE: 'inst-1',
      PIPELINE_CRON_PIPELINE: 'orders',
      PIPELINE_CRON_RUN_ID: run!.id,
      PIPELINE_CRON_SCHEDULED_AT: T0.toISOString(),
    })
    expect(t.runner.spawned[0]!.req.cwd).toBe('/srv/pipelines')
  })

  it('waits for the first tick - run_immediately false', async () => {
    const t = setup({ runImmediately: false })
    await t.s.start({ resumed: false })
    await vi.advanceTimersByTimeAsync(9_999)
    expect(t.runner.spawned).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(t.runner.spawned.map((p) => p.command)).toEqual(['extract', 'load'])
  })

  it('does not run at start and keeps the first start\'s grid - resumed after a restart', async () => {
    const t = setup({ anchor: new Date(T0.getTime() - 25_000) })
    await t.s.start({ resumed: true })
    await vi.advanceTimersByTimeAsync(0)
    expect(t.runner.spawned).toEqual([])
    expect((await t.current())!.next_run_at).toBe(plus(5_000))
    // It says when it came back; a fresh start would say its anchor.
    expect(t.s.live().started_at).toBe(T0.toISOString())
    expect(t.file.text).toMatch(/\] Daemon resumed after restart \(PID: 4242, interval: 10 seconds, pipeline: p, 2 steps\)\n$/)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(await t.finished()).toMatchObject([{ scheduled_at: plus(5_000), status: 'success' }])
  })

  it('reports the last finished run of the history as last_run - a run recorded before the start', async () => {
    const before: RunRecord = { id: 'old', instance_id: 'x', trigger: 'manual', status: 'failed', scheduled_at: null, started_at: plus(-60_000), finished_at: plus(-59_000), duration_ms: 1000, steps: [] }
    const t = setup({ runImmediately: false, history: [before] })
    await t.s.start({ resumed: false })
    expect(t.s.live().last_run).toEqual({ id: 'old', status: 'failed', started_at: plus(-60_000), finished_at: plus(-59_000), duration_ms: 1000 })
  })
})

describe('ticks', () => {
  it('runs at anchor + k * interval with no drift - runs that take 3 s each', async () => {
    const t = setup({ scripts: { extract: { exitAfterMs: 3000 } } })
    await t.s.start({ resumed: false })
    await vi.advanceTimersByTimeAsync(45_000)
    const runs = await t.finished()
    expect(runs.map((r) => r.scheduled_at)).toEqual([plus(0), plus(10_000), plus(20_000), plus(30_000), plus(40_000)])
    expect(runs.map((r) => r.started_at)).toEqual(runs.map((r) => r.scheduled_at))
    expect((await t.current())!.next_run_at).toBe(plus(50_000))
  })

  it('keeps the time its tick fired as the finished run\'s started_at, and counts its duration from then - recording a run takes 200 ms', async () => {
    const t = setup({ runImmediately: false, appendMs: 200, scripts: { extract: { exitAfterMs: 300 } } })
    await t.s.start({ resumed: false })
    await vi.advanceTimersByTimeAsync(11_000)
    const [run] = await t.finished()
    const running = t.runs.records.find((r) => r.id === run!.id && r.status === 'running')!
    // The run began when its tick fired, as its `running` record says.
    expect(running.started_at).toBe(plus(10_000))
    expect(run).toMatchObject({ status: 'success', scheduled_at: plus(10_000), started_at: plus(10_000) })
    expect(run!.duration_ms).toBe(Date.parse(run!.finished_at!) - Date.parse(run!.started_at))
    // Its steps still start only once the run is recorded.
    expect(run!.steps[0]!.started_at).toBe(plus(10_200))
  })

  it('records a tick that comes during a run as skipped with its reason, and logs it - 25 s run, 10 s interval', async () => {
    const t = setup({ scripts: { extract: { exitAfterMs: 25_000 } } })
    await t.s.start({ resumed: false })
    const first = t.s.live().current_run!.id
    await vi.advanceTimersByTimeAsync(31_000)
    const runs = (await t.runs.list(100)).reverse()
    expect(runs.map((r) => [r.scheduled_at, r.status])).toEqual([
      [plus(0), 'success'],
      [plus(10_000), 'skipped'],
      [plus(20_000), 'skipped'],
      [plus(30_000), 'running'],
    ])
    expect(runs[1]).toMatchObject({ trigger: 'schedule', reason: `previous run ${first} still in progress`, steps: [], duration_ms: 0 })
    const skipLines = t.lines().filter((l) => l.includes('Skipping'))
    expect(skipLines).toHaveLength(2)
    expect(skipLines[0]).toMatch(new RegExp(`\\] Skipping scheduled run: the previous run \\(${first}\\) is still in progress$`))
  })

  it('pushes the step in progress and clears it once the run is recorded - current_run', async () => {
    const t = setup({ scripts: { load: { exitAfterMs: 500 } } })
    await t.s.start({ resumed: false })
    await vi.advanceTimersByTimeAsync(100)
    expect(t.s.live().current_run).toMatchObject({ trigger: 'schedule', step: 'load', index: 2, total: 2, started_at: T0.toISOString() })
    expect((await t.current())!.current_run).toMatchObject({ step: 'load' })
    await vi.advanceTimersByTimeAsync(500)
    const cleared = t.pushed.find((live) => live.current_run === null && live.last_run !== null)!
    // By the time anyone hears that the run is over, its record is final.
    expect(cleared.last_run).toMatchObject({ status: 'success' })
    expect((await t.runs.get(cleared.last_run!.id))!.status).toBe('success')
    expect((await t.current())!.current_run).toBeNull()
  })

  it('follows the cron expression and does not run at start - 6-field cron, every 15 s', async () => {
    const t = setup({ schedule: { type: 'cron', cron: '*/15 * * * * *', timezone: 'UTC' }, runImmediately: false })
    await t.s.start({ resumed: false })
    await vi.advanceTimersByTimeAsync(0)
    expect((await t.current())!.next_run_at).toBe('2025-12-26T10:31:00.000Z')
    await vi.advanceTimersByTimeAsync(31_000)
    expect((await t.finished()).map((r) => r.scheduled_at)).toEqual(['2025-12-26T10:31:00.000Z', '2025-12-26T10:31:15.000Z'])
  })
})

describe('pause and resume', () => {
  it('records each tick while paused as skipped with reason paused, and runs again after resume', async () => {
    const t = setup({ runImmediately: false })
    await t.s.start({ resumed: false })
    expect(t.s.pause()).toBeNull()
    expect(t.s.live().paused).toBe(true)
    await vi.advanceTimersByTimeAsync(20_000)
    expect(t.runner.spawned).toEqual([])
    expect((await t.finished()).map((r) => [r.scheduled_at, r.status, r.reason])).toEqual([
      [plus(10_000), 'skipped', 'paused'],
      [plus(20_000), 'skipped', 'paused'],
    ])
    expect(t.file.text).toContain('Pipeline paused: scheduled runs are skipped until it is resumed')
    expect(t.file.text).toContain('Skipping scheduled run: the pipeline is paused')
    expect(t.s.resume()).toBeNull()
    await vi.advanceTimersByTimeAsync(10_000)
    expect((await t.finished()).at(-1)).toMatchObject({ scheduled_at: plus(30_000), status: 'success' })
    expect(t.file.text).toContain('] Pipeline resumed\n')
  })

  it('writes paused into the state file and pushes it', async () => {
    const t = setup({ runImmediately: false })
    await t.s.start({ resumed: false })
    t.s.pause()
    await vi.advanceTimersByTimeAsync(0)
    expect((await t.current())!.paused).toBe(true)
    expect(t.pushed.at(-1)!.paused).toBe(true)
  })

  it('refuses with paused - pipeline already paused', async () => {
    const t = setup({ runImmediately: false })
    await t.s.start({ resumed: false })
    t.s.pause()
    expect(t.s.pause()).toEqual({ refusal: 'paused', detail: 'The pipeline is already paused' })
  })

  it('refuses with not_paused - pipeline not paused', async () => {
    const t = setup({ runImmediately: false })
    await t.s.start({ resumed: false })
    expect(t.s.resume()).toEqual({ refusal: 'not_paused', detail: 'The pipeline is not paused' })
  })

  it('does not run at start, says so and skips ticks - started paused (kept across a restart)', async () => {
    const t = setup({ paused: true })
    await t.s.start({ resumed: false })
    await vi.advanceTimersByTimeAsync(10_000)
    expect(t.runner.spawned).toEqual([])
    expect(t.file.text).toContain('The pipeline is paused: scheduled runs are skipped until it is resumed')
    expect(await t.finished()).toMatchObject([{ scheduled_at: plus(10_000), status: 'skipped', reason: 'paused' }])
  })

  it('starts a manual run while paused - run-now is not a scheduled run', async () => {
    const t = setup({ runImmediately: false })
    await t.s.start({ resumed: false })
    t.s.pause()
    const r = await t.s.runNow()
    await vi.advanceTimersByTimeAsync(0)
    expect(r.ok).toBe(true)
    expect(await t.finished()).toMatchObject([{ trigger: 'manual', status: 'success' }])
  })
})

describe('run-now', () => {
  it('starts a manual run and answers its id - idle', async () => {
    const t = setup({ runImmediately: false })
    await t.s.start({ resumed: false })
    const r = await t.s.runNow()
    expect(r).toEqual({ ok: true, runId: expect.stringMatching(/^20251226T103045Z-[0-9a-f]{4}$/) })
    await vi.advanceTimersByTimeAsync(0)
    expect(await t.finished()).toMatchObject([{ id: r.ok && r.runId, trigger: 'manual', status: 'success', scheduled_at: null }])
    expect(t.runner.spawned[0]!.req.env.PIPELINE_CRON_SCHEDULED_AT).toBe('')
  })

  it('refuses with busy, naming the run - a run in progress', async () => {
    const t = setup({ scripts: { extract: { exitAfterMs: 5000 } } })
    await t.s.start({ resumed: false })
    const id = t.s.live().current_run!.id
    expect(await t.s.runNow()).toEqual({ ok: false, refusal: 'busy', detail: `A run is in progress (${id})` })
    await vi.advanceTimersByTimeAsync(5000)
    expect((await t.s.runNow()).ok).toBe(true)
  })

  it('waits for the run and starts the next, never busy - the finished run is readable in the history, its append not yet answered', async () => {
    const t = setup({ runImmediately: false, settleMs: 100, scripts: { extract: { exitAfterMs: 1000 } } })
    await t.s.start({ resumed: false })
    const starting = t.s.runNow()
    await vi.advanceTimersByTimeAsync(150)
    const first = await starting
    // Its steps end at 1100 ms; the final record's append is answered at 1200 ms.
    await vi.advanceTimersByTimeAsync(1000)
    // The history already shows the first run finished, as a client polling it would see.
    expect(await t.finished()).toMatchObject([{ id: first.ok && first.runId, status: 'success' }])
    expect(t.s.live().current_run).not.toBeNull()
    const next = t.s.runNow()
    await vi.advanceTimersByTimeAsync(200)
    expect(await next).toEqual({ ok: true, runId: expect.any(String) })
  })

  it('refuses with stopping - a drain in progress', async () => {
    const t = setup({ scripts: { extract: { exitAfterMs: 5000 } } })
    await t.s.start({ resumed: false })
    const stopping = t.s.stop('drain')
    expect(await t.s.runNow()).toEqual({ ok: false, refusal: 'stopping', detail: 'Daemon is stopping' })
    await vi.advanceTimersByTimeAsync(5000)
    await stopping
    scheduler = null
  })
})

describe('stop', () => {
  it('cancels the run, records it, removes its state file and closes the log - cancel', async () => {
    const t = setup({ scripts: { extract: { hang: true } } })
    await t.s.start({ resumed: false })
    expect(await stopped(t.s, 'cancel')).toEqual({ survivors: [] })
    expect(t.runner.spawned.map((p) => [p.command, p.signals])).toEqual([['extract', ['SIGTERM']]])
    expect(await t.finished()).toMatchObject([{ status: 'cancelled', steps: [{ name: 'extract', status: 'cancelled' }, { name: 'load', status: 'not_run' }] }])
    expect(await t.stateFile.read()).toEqual({ value: null })
    expect(t.pushed.some((live) => live.stopping === 'cancel' && live.next_run_at === null)).toBe(true)
    expect(t.log.closed).toBe(true)
    expect(t.log.afterClose).toEqual([])
    expect(t.lines().at(-1)).toMatch(/\] Daemon stopped \(PID: 4242\)$/)
    // Nothing is armed any more: time passing starts nothing.
    await vi.advanceTimersByTimeAsync(60_000)
    expect(t.runner.spawned).toHaveLength(1)
  })

  it('names the reason in the last line - stop on SIGTERM', async () => {
    const t = setup({ runImmediately: false })
    await t.s.start({ resumed: false })
    const stopping = t.s.stop('cancel', 'SIGTERM')
    await vi.advanceTimersByTimeAsync(0)
    await stopping
    scheduler = null
    expect(t.lines().at(-1)).toMatch(/\] Daemon stopped \(PID: 4242, SIGTERM\)$/)
  })

  it('lets the current run finish and starts nothing after it - drain', async () => {
    const t = setup({ scripts: { extract: { exitAfterMs: 5000 } } })
    await t.s.start({ resumed: false })
    const stopping = t.s.stop('drain')
    await vi.advanceTimersByTimeAsync(0)
    expect(t.s.live().stopping).toBe('drain')
    expect((await t.current())!.stopping).toBe('drain')
    await vi.advanceTimersByTimeAsync(30_000)
    await stopping
    scheduler = null
    expect(t.runner.spawned.map((p) => [p.command, p.signals])).toEqual([
      ['extract', []],
      ['load', []],
    ])
    expect(await t.finished()).toMatchObject([{ status: 'success' }])
    expect(t.file.text).toContain('Stop requested (drain): waiting for the current run to finish')
    expect(await t.current()).toBeNull()
  })

  it('cancels the run once the drain timeout has passed - drain of a run that hangs', async () => {
    const t = setup({ scripts: { extract: { hang: true } }, drainTimeoutMs: 2000 })
    await t.s.start({ resumed: false })
    const stopping = t.s.stop('drain')
    await vi.advanceTimersByTimeAsync(1999)
    expect(t.runner.spawned[0]!.signals).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    await stopping
    scheduler = null
    expect(t.runner.spawned[0]!.signals).toEqual(['SIGTERM'])
    expect(t.file.text).toContain('Drain took longer than 2s: cancelling the run')
    expect(await t.finished()).toMatchObject([{ status: 'cancelled' }])
  })

  it('turns a drain into a cancel and both calls settle - cancel requested during a drain', async () => {
    const t = setup({ scripts: { extract: { hang: true } } })
    await t.s.start({ resumed: false })
    const drain = t.s.stop('drain')
    await vi.advanceTimersByTimeAsync(100)
    expect(t.runner.spawned[0]!.signals).toEqual([])
    const cancel = t.s.stop('cancel')
    expect(t.s.live().stopping).toBe('cancel')
    await vi.advanceTimersByTimeAsync(0)
    await Promise.all([drain, cancel])
    scheduler = null
    expect(t.runner.spawned[0]!.signals).toEqual(['SIGTERM'])
    expect(await t.finished()).toMatchObject([{ status: 'cancelled' }])
  })

  it('kills what the pipeline left behind, found by its marker, and logs it - a step that leaves a child', async () => {
    const t = setup({ scripts: { extract: { leaveChild: true } } })
    await t.s.start({ resumed: false })
    await vi.advanceTimersByTimeAsync(0)
    const left = await t.table.procs.findTagged('inst-1')
    expect(left).toHaveLength(1)
    const unrelated = t.table.spawn({ tag: 'another-pipeline' })
    await stopped(t.s, 'cancel', 100)
    expect(t.table.signalsTo(left[0]!)).toEqual(['SIGSTOP', 'SIGKILL'])
    expect(await t.table.procs.findTagged('inst-1')).toEqual([])
    expect(t.file.text).toContain(`Killed 1 leftover process(es) of the pipeline: ${left[0]}`)
    expect(t.table.signalsTo(unrelated.pid)).toEqual([])
  })

  it('answers what outlived every kill - a process stuck in uninterruptible sleep', async () => {
    const t = setup({ runImmediately: false })
    await t.s.start({ resumed: false })
    const stuck = t.table.spawn({ tag: 'inst-1', unkillable: true })
    expect(await stopped(t.s, 'cancel', 5_000)).toEqual({ survivors: [stuck.pid] })
    stuck.exit(0)
  })
})

describe('state file', () => {
  it('warns once when a state write fails and says when one succeeds again - full disk', async () => {
    const t = setup({ runImmediately: false })
    const write = t.stateFile.write
    let full = true
    t.stateFile.write = (value) => (full ? Promise.reject(new Error('ENOSPC: no space left on device')) : write(value))
    await t.s.start({ resumed: false })
    t.s.pause()
    await vi.advanceTimersByTimeAsync(0)
    expect(t.lines().filter((l) => l.includes('Warning'))).toEqual([expect.stringMatching(/\] Warning: could not write state: ENOSPC: no space left on device$/)])
    full = false
    t.s.resume()
    await vi.advanceTimersByTimeAsync(0)
    expect(t.file.text).toContain('State file written again')
    expect((await t.current())!.paused).toBe(false)
  })
})
