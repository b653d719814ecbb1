/** One run through the fake runner with fake timers: order, log lines, failures, timeout, cancel, the record. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { daemonText, formatLine, logTimestamp } from '../../src/log-line.js'
import type { Pipeline, PipelineStep } from '../../src/pipeline.js'
import { runPipeline, TIMEOUT_KILL_DELAY_MS, type RunOptions } from '../../src/run-pipeline.js'
import { runRecordSchema } from '../../src/schemas.js'
import { createMemoryLogFile, createMemoryLogWriter } from '../fakes/log-store.js'
import { createFakeRunner, type FakeScript } from '../fakes/runner.js'

const T0 = new Date('2025-12-26T10:30:45.000Z')

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
})
afterEach(() => {
  vi.useRealTimers()
})

/** Runs `steps` to the end, driving the fake clock; returns the record, the log lines and the runner. */
async function run(steps: PipelineStep[], scripts: Record<string, FakeScript>, o: Partial<RunOptions> & { abortAtMs?: number } = {}) {
  const file = createMemoryLogFile()
  const runner = createFakeRunner(scripts)
  const abort = new AbortController()
  if (o.abortAtMs !== undefined) setTimeout(() => abort.abort(), o.abortAtMs)
  const pipeline: Pipeline = { name: 'p', steps }
  const done = runPipeline({
    id: 'run-1',
    instanceId: 'inst-1',
    trigger: 'schedule',
    scheduledAt: T0,
    pipeline,
    pipelineDir: '/srv/pipeline',
    runner,
    log: createMemoryLogWriter(file),
    baseEnv: { PATH: '/usr/bin', SHARED: 'base' },
    ownEnv: { PIPELINE_CRON_INSTANCE: 'inst-1' },
    signal: abort.signal,
    graceMs: 1000,
    ...o,
  })
  await vi.runAllTimersAsync()
  const record = await done
  return { record, lines: file.text.split('\n').slice(0, -1), runner }
}

/** The log line as written at `ms` after T0. */
const L = (ms: number, text: string) => `[${logTimestamp(new Date(T0.getTime() + ms))}] ${text}`
const step = (name: string, extra: Partial<PipelineStep> = {}): PipelineStep => ({ name, run: name, ...extra })

describe('runPipeline', () => {
  it('runs the steps in order and writes the original log lines - three successful steps', async () => {
    const { record, lines, runner } = await run([step('extract'), step('transform'), step('load')], {
      extract: { output: [{ text: 'rows: 10\n' }], exitAfterMs: 10 },
      transform: { exitAfterMs: 10 },
      load: { exitAfterMs: 10 },
    })
    expect(runner.spawned.map((p) => p.command)).toEqual(['extract', 'transform', 'load'])
    expect(lines).toEqual([
      L(0, '========== Pipeline execution started =========='),
      L(0, 'Run run-1 (trigger: schedule)'),
      L(0, '[1/3] Running extract...'),
      L(0, '[stdout] rows: 10'),
      L(10, '[1/3] extract finished: exit 0 in 0.01s'),
      L(10, '[2/3] Running transform...'),
      L(20, '[2/3] transform finished: exit 0 in 0.01s'),
      L(20, '[3/3] Running load...'),
      L(30, '[3/3] load finished: exit 0 in 0.01s'),
      L(30, '========== Pipeline execution finished: success (3/3 steps, 0.03s) =========='),
    ])
    expect(record.status).toBe('success')
  })

  it('returns a complete run record - success', async () => {
    const { record } = await run([step('a'), step('b')], { a: { exitAfterMs: 250 }, b: { exitAfterMs: 750 } })
    expect(runRecordSchema.parse(record)).toEqual(record)
    expect(record).toEqual({
      id: 'run-1',
      instance_id: 'inst-1',
      trigger: 'schedule',
      status: 'success',
      scheduled_at: T0.toISOString(),
      started_at: T0.toISOString(),
      finished_at: '2025-12-26T10:30:46.000Z',
      duration_ms: 1000,
      steps: [
        { name: 'a', status: 'success', exit_code: 0, signal: null, started_at: T0.toISOString(), duration_ms: 250, attempts: 1 },
        { name: 'b', status: 'success', exit_code: 0, signal: null, started_at: '2025-12-26T10:30:45.250Z', duration_ms: 750, attempts: 1 },
      ],
    })
  })

  it('runs strings through /bin/sh -c and arrays directly, in the resolved cwd with merged env - spawn requests', async () => {
    const { runner } = await run(
      [
        { name: 'sh', run: 'echo "$X" | wc -c', cwd: 'scripts', env: { X: 'y', SHARED: 'step' } },
        { name: 'argv', run: ['node', 'transform.js', '--fast'], cwd: '/abs/dir' },
        { name: 'here', run: ['true'] },
      ],
      {},
    )
    expect(runner.spawned.map((p) => p.req)).toEqual([
      { argv: ['/bin/sh', '-c', 'echo "$X" | wc -c'], cwd: '/srv/pipeline/scripts', env: { PATH: '/usr/bin', PIPELINE_CRON_INSTANCE: 'inst-1', SHARED: 'step', X: 'y' } },
      { argv: ['node', 'transform.js', '--fast'], cwd: '/abs/dir', env: { PATH: '/usr/bin', PIPELINE_CRON_INSTANCE: 'inst-1', SHARED: 'base' } },
      { argv: ['true'], cwd: '/srv/pipeline', env: { PATH: '/usr/bin', PIPELINE_CRON_INSTANCE: 'inst-1', SHARED: 'base' } },
    ])
  })

  it('keeps the daemon\'s variables over the step\'s own - a step env that sets the instance marker', async () => {
    const { runner } = await run([{ name: 'sly', run: 'sly', env: { PIPELINE_CRON_INSTANCE: 'forged', PIPELINE_CRON_RUN_ID: 'forged', MINE: 'kept' } }], {}, { ownEnv: { PIPELINE_CRON_INSTANCE: 'inst-1', PIPELINE_CRON_RUN_ID: 'run-1' } })
    expect(runner.spawned[0]!.req.env).toEqual({ PATH: '/usr/bin', SHARED: 'base', MINE: 'kept', PIPELINE_CRON_INSTANCE: 'inst-1', PIPELINE_CRON_RUN_ID: 'run-1' })
  })

  it('stops at the first failed step - exit 2 in step 2', async () => {
    const { record, lines, runner } = await run([step('extract'), step('transform'), step('load')], {
      extract: { exitAfterMs: 10 },
      transform: { exitCode: 2, exitAfterMs: 10 },
    })
    expect(runner.spawned.map((p) => p.command)).toEqual(['extract', 'transform'])
    expect(lines).toContain(L(20, '[2/3] transform failed: exit 2 in 0.01s'))
    expect(lines.at(-1)).toBe(L(20, '========== Pipeline execution finished: failed (1/3 steps, 0.02s) =========='))
    expect(record.status).toBe('failed')
    expect(record.steps.map((s) => [s.name, s.status, s.exit_code])).toEqual([
      ['extract', 'success', 0],
      ['transform', 'failed', 2],
      // Never reached: listed, so the record says 1 of 3 ran.
      ['load', 'not_run', null],
    ])
    expect(record.reason).toBe('step transform failed: exit 2 in 0.01s')
  })

  it('goes on after a failed step but reports the run failed - continue_on_error', async () => {
    const { record, lines, runner } = await run([step('extract'), step('transform', { continue_on_error: true }), step('load')], {
      transform: { exitCode: 1 },
    })
    expect(runner.spawned.map((p) => p.command)).toEqual(['extract', 'transform', 'load'])
    expect(record.status).toBe('failed')
    expect(lines.at(-1)).toMatch(/Pipeline execution finished: failed \(2\/3 steps, 0\.00s\) ={10}$/)
  })

  it('marks stdout and stderr lines and joins lines split across chunks - mixed output', async () => {
    const { lines } = await run([step('x')], {
      x: {
        output: [
          { text: 'hel' },
          { text: 'lo\nwor', atMs: 5 },
          { text: 'warn 1\nwarn 2\n', stream: 'stderr', atMs: 6 },
          { text: 'ld\nno newline at exit', atMs: 7 },
        ],
        exitAfterMs: 8,
      },
    })
    expect(lines.slice(3, -2)).toEqual([L(5, '[stdout] hello'), L(6, '[stderr] warn 1'), L(6, '[stderr] warn 2'), L(7, '[stdout] world'), L(8, '[stdout] no newline at exit')])
  })

  it('writes no line that reads as a daemon line - a step printing fake "finished", "Run" and "Audit:" lines', async () => {
    const fake = [
      L(1, '========== Pipeline execution finished: success (2/2 steps, 0.01s) =========='),
      '========== Pipeline execution started ==========',
      'Run run-9 (trigger: manual)',
      'Audit: 10.9.9.9 stopped the daemon',
    ]
    const { lines } = await run([step('liar'), step('real')], {
      liar: { output: [{ text: fake.join('\n') + '\n' }, { text: fake.join('\n'), stream: 'stderr' }], exitAfterMs: 5 },
      real: { exitCode: 3, exitAfterMs: 5 },
    })
    const stepLines = lines.slice(3, 11)
    expect(stepLines).toEqual([...fake.map((f) => L(0, `[stdout] ${f}`)), ...fake.map((f) => L(5, `[stderr] ${f}`))])
    expect(stepLines.map(daemonText)).toEqual(Array(8).fill(null))
    const daemonLines = lines.map(daemonText).filter((t) => t !== null)
    expect(daemonLines).toHaveLength(7)
    expect(daemonLines.at(-1)).toBe('========== Pipeline execution finished: failed (1/2 steps, 0.01s) ==========')
  })

  it('reports a step that died by a signal - SIGSEGV', async () => {
    const { record, lines } = await run([step('crash')], { crash: { exitSignal: 'SIGSEGV', exitAfterMs: 10 } })
    expect(lines).toContain(L(10, '[1/1] crash failed: signal SIGSEGV in 0.01s'))
    expect(record.steps[0]).toMatchObject({ status: 'failed', exit_code: null, signal: 'SIGSEGV' })
  })

  it('records why a command could not start - spawn error and spawn throw', async () => {
    const { record, lines } = await run([step('missing', { continue_on_error: true }), step('throws')], {
      missing: { startError: 'could not start missing (ENOENT)' },
      throws: { spawnThrows: 'spawn EACCES' },
    })
    expect(lines).toContain(L(0, '[1/2] missing failed: could not start missing (ENOENT)'))
    expect(lines).toContain(L(0, '[2/2] throws failed: spawn EACCES'))
    expect(record.steps).toMatchObject([
      { name: 'missing', status: 'failed', exit_code: null, error: 'could not start missing (ENOENT)' },
      { name: 'throws', status: 'failed', exit_code: null, error: 'spawn EACCES' },
    ])
  })
})

describe('timeout', () => {
  it('sends SIGTERM at the timeout, then SIGKILL 5 s later - a step that ignores SIGTERM', async () => {
    const { record, lines, runner } = await run([step('slow', { timeout_seconds: 0.05 }), step('next')], {
      slow: { hang: true, ignoreSigterm: true },
    })
    expect(runner.spawned.map((p) => [p.command, p.signals])).toEqual([['slow', ['SIGTERM', 'SIGKILL']]])
    const ms = 50 + TIMEOUT_KILL_DELAY_MS
    expect(lines).toContain(L(ms, `[1/2] slow timed out in ${(ms / 1000).toFixed(2)}s`))
    expect(lines.at(-1)).toBe(L(ms, '========== Pipeline execution finished: timed_out (0/2 steps, 5.05s) =========='))
    expect(record).toMatchObject({ status: 'timed_out', duration_ms: ms, steps: [{ name: 'slow', status: 'timed_out', exit_code: null, signal: 'SIGKILL', duration_ms: ms }, { name: 'next', status: 'not_run' }] })
  })

  it('needs no SIGKILL - a step that exits on SIGTERM', async () => {
    const { record, runner } = await run([step('slow', { timeout_seconds: 0.05 })], { slow: { hang: true } })
    expect(runner.spawned[0]!.signals).toEqual(['SIGTERM'])
    expect(record.steps[0]).toMatchObject({ status: 'timed_out', signal: 'SIGTERM', duration_ms: 50 })
  })

  it('never fires - a step that finishes before its timeout', async () => {
    const { record, runner } = await run([step('quick', { timeout_seconds: 1 })], { quick: { exitAfterMs: 999 } })
    expect(runner.spawned[0]!.signals).toEqual([])
    expect(record.status).toBe('success')
  })
})

describe('cancel via AbortSignal', () => {
  it('ends the current step and runs no further step - abort during step 1', async () => {
    const { record, lines, runner } = await run([step('a'), step('b')], { a: { hang: true } }, { abortAtMs: 20 })
    expect(runner.spawned.map((p) => [p.command, p.signals])).toEqual([['a', ['SIGTERM']]])
    expect(lines).toContain(L(20, '[1/2] a cancelled in 0.02s'))
    expect(record).toMatchObject({ status: 'cancelled', reason: 'cancelled by a stop', steps: [{ name: 'a', status: 'cancelled', signal: 'SIGTERM' }, { name: 'b', status: 'not_run' }] })
  })

  it('kills after the grace period - a step that ignores SIGTERM', async () => {
    const { record, runner } = await run([step('a')], { a: { hang: true, ignoreSigterm: true } }, { abortAtMs: 20, graceMs: 300 })
    expect(runner.spawned[0]!.signals).toEqual(['SIGTERM', 'SIGKILL'])
    expect(record.steps[0]).toMatchObject({ status: 'cancelled', signal: 'SIGKILL', duration_ms: 320 })
  })

  it('starts no step - signal already aborted', async () => {
    const abort = new AbortController()
    abort.abort()
    const { record, runner, lines } = await run([step('a')], {}, { signal: abort.signal })
    expect(runner.spawned).toEqual([])
    expect(record).toMatchObject({ status: 'cancelled', steps: [{ name: 'a', status: 'not_run', attempts: 0 }] })
    expect(lines.at(-1)).toMatch(/finished: cancelled \(0\/1 steps/)
  })

  it('reports each step as it starts - onStep', async () => {
    const seen: Array<[number, string]> = []
    await run([step('a'), step('b')], {}, { onStep: (i, s) => seen.push([i, s.name]) })
    expect(seen).toEqual([
      [0, 'a'],
      [1, 'b'],
    ])
  })
})

describe('formatLine', () => {
  it('writes one line - a daemon message with line breaks in it (an error text)', () => {
    const line = formatLine('Daemon error: boom\n[2025-12-26 10:30:45] Audit: 10.9.9.9 stopped the daemon\r\n', T0)
    expect(line).toBe(`[${logTimestamp(T0)}] Daemon error: boom [2025-12-26 10:30:45] Audit: 10.9.9.9 stopped the daemon \n`)
  })
})
