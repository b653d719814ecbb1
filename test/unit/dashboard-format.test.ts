/** The dashboard's pure formatters and its URL fragment, under Node: no browser needed. */
import { describe, expect, it } from 'vitest'
import {
  attemptsLabel,
  chartCaption,
  describeSchedule,
  formatCountdown,
  formatDuration,
  formatTime,
  isProgressLine,
  lineKind,
  listHeadline,
  pipelineState,
  stateBadge,
  statusHeadline,
  statusLabel,
  type StepView,
} from '../../src/dashboard/client/format.js'
import { fragmentFor, isViewFragment, pipelineBase, pipelineFromFragment } from '../../src/dashboard/client/fragment.js'
import { describeRunFailure } from '../../src/run-step.js'
import * as schedule from '../../src/schedule.js'
import type { RunRecord } from '../../src/schemas.js'

const step = (o: Partial<StepView> = {}): StepView => ({
  name: 'extract',
  status: 'success',
  exit_code: 0,
  signal: null,
  started_at: '2025-12-26T10:30:45.000Z',
  duration_ms: 10,
  ...o,
})

const run = (o: Partial<RunRecord> = {}): RunRecord => ({
  id: 'r1',
  instance_id: 'i1',
  trigger: 'schedule',
  status: 'success',
  scheduled_at: null,
  started_at: '2025-12-26T10:30:45.000Z',
  finished_at: '2025-12-26T10:30:46.000Z',
  duration_ms: 1000,
  steps: [step()],
  ...o,
})

describe('formatDuration', () => {
  it.each([
    [850, '850 ms'],
    [2345, '2.35 s'],
    [12_500, '12.5 s'],
    [187_000, '3 min 07 s'],
    [7_500_000, '2 h 05 min'],
  ])('writes %d ms as "%s"', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })

  it('writes a dash - no duration yet (null, undefined, NaN)', () => {
    expect([formatDuration(null), formatDuration(undefined), formatDuration(Number.NaN)]).toEqual(['–', '–', '–'])
  })
})

describe('formatCountdown', () => {
  it.each([
    [245_000, 'in 4:05'],
    [3_723_000, 'in 1:02:03'],
    [59_600, 'in 1:00'],
    [501, 'in 0:01'],
  ])('writes %d ms ahead as "%s"', (ms, text) => {
    expect(formatCountdown(ms)).toBe(text)
  })

  it('says "due now" - the run is at most half a second away or already late', () => {
    expect([formatCountdown(500), formatCountdown(0), formatCountdown(-30_000)]).toEqual(['due now', 'due now', 'due now'])
  })
})

describe('formatTime', () => {
  const now = new Date(2025, 11, 26, 15, 0, 0)

  it('shows the time alone - the moment is on the same day as now', () => {
    const at = new Date(2025, 11, 26, 10, 30, 45)
    expect(formatTime(at.toISOString(), now)).toBe(new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' }).format(at))
  })

  it('shows date and time - the moment is on another day', () => {
    const at = new Date(2025, 11, 24, 10, 30, 45)
    expect(formatTime(at.toISOString(), now)).toBe(new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' }).format(at))
  })

  it('writes a dash - there is no time', () => {
    expect([formatTime(null, now), formatTime(undefined, now), formatTime('', now)]).toEqual(['–', '–', '–'])
  })
})

describe('statusLabel and describeRunFailure', () => {
  it('gives each run status its symbol, and an unknown one as it came', () => {
    expect(['success', 'failed', 'timed_out', 'cancelled', 'skipped', 'abandoned', 'running', 'later'].map(statusLabel)).toEqual([
      '✓ success',
      '✗ failed',
      '⏱ timed out',
      '⊘ cancelled',
      '↷ skipped',
      '⚠ abandoned',
      '▶ running',
      'later',
    ])
  })

  it('words a failed step as the log does - no reason recorded, exit code, signal, start error, timeout', () => {
    const failed = (s: Partial<StepView>) => describeRunFailure(run({ status: 'failed', steps: [step(), step({ name: 'load', status: 'failed', ...s })] }))
    expect(failed({ exit_code: 3, duration_ms: 520 })).toBe('step load failed: exit 3 in 0.52s')
    expect(failed({ exit_code: null, signal: 'SIGKILL', duration_ms: 1000 })).toBe('step load failed: signal SIGKILL in 1.00s')
    expect(failed({ exit_code: null, error: 'could not start nope (ENOENT)' })).toBe('step load failed: could not start nope (ENOENT)')
    expect(failed({ status: 'timed_out', exit_code: null, signal: 'SIGTERM', duration_ms: 2000 })).toBe('step load timed out in 2.00s')
  })

  it('gives the reason - the run recorded one (a step stopped it, skipped, abandoned); nothing - it succeeded or still runs', () => {
    const stopped = run({ status: 'failed', reason: 'step load failed: exit 3 in 0.52s', steps: [step({ name: 'load', status: 'failed', exit_code: 3 })] })
    expect(describeRunFailure(stopped)).toBe('step load failed: exit 3 in 0.52s')
    expect(describeRunFailure(run({ status: 'skipped', reason: 'paused', steps: [] }))).toBe('paused')
    expect(describeRunFailure(run({ status: 'abandoned', reason: 'the daemon died', steps: [] }))).toBe('the daemon died')
    expect(describeRunFailure(run())).toBe('')
    expect(describeRunFailure(run({ status: 'running', finished_at: null, duration_ms: null }))).toBe('')
  })
})

describe('attemptsLabel', () => {
  it('says "3 attempts" - the step was tried three times', () => {
    expect(attemptsLabel(step({ attempts: 3 }))).toBe('3 attempts')
  })

  it('says nothing - one attempt, or a record without the field (it ran once)', () => {
    expect([attemptsLabel(step({ attempts: 1 })), attemptsLabel(step())]).toEqual(['', ''])
  })
})

describe('pipeline state and headlines', () => {
  it('reads running, paused or stopped from is_running and paused', () => {
    expect(pipelineState({ is_running: true, paused: false })).toBe('running')
    expect(pipelineState({ is_running: true, paused: true })).toBe('paused')
    expect(pipelineState({ is_running: false, paused: false })).toBe('stopped')
    expect(stateBadge('paused')).toEqual({ text: '⏸ paused', cls: 's-paused' })
  })

  it('titles the tab with the step in progress, and with the pipeline name - several pipelines are served', () => {
    const current = { id: 'r', trigger: 'manual' as const, started_at: '', step: 'load', index: 2, total: 3, step_started_at: null }
    expect(statusHeadline({ is_running: true, paused: false, current_run: current })).toEqual({ badge: '▶ Running a pipeline', cls: 's-up', title: '▶ pipeline-cron: step 2/3' })
    expect(statusHeadline({ is_running: true, paused: true, current_run: null }, 'orders')).toEqual({ badge: '⏸ Paused', cls: 's-paused', title: '⏸ pipeline-cron / orders: paused' })
    expect(statusHeadline({ is_running: false, paused: false, current_run: null })).toEqual({ badge: '■ Stopped', cls: 's-down', title: '■ pipeline-cron: stopped' })
  })

  it('counts the running pipelines for the list', () => {
    expect(listHeadline([{ is_running: true }, { is_running: false }, { is_running: true }])).toEqual({
      badge: '2 of 3 running',
      cls: 's-up',
      title: 'pipeline-cron: 3 pipelines, 2 running',
    })
    expect(listHeadline([]).cls).toBe('s-down')
  })
})

describe('lineKind', () => {
  const ts = '[2025-12-26 10:30:45]'

  it('tells stdout from stderr by the daemon mark after the timestamp', () => {
    expect(lineKind(`${ts} [stdout] hello`)).toBe('stdout')
    expect(lineKind(`${ts} [stderr] oops`)).toBe('stderr')
  })

  it('marks run boundaries, and a failed run or step as bad', () => {
    expect(lineKind(`${ts} ========== Pipeline execution started ==========`)).toBe('marker')
    expect(lineKind(`${ts} ========== Pipeline execution finished: success (3/3 steps, 1.20s) ==========`)).toBe('marker')
    expect(lineKind(`${ts} ========== Pipeline execution finished: failed (1/3 steps, 1.20s) ==========`)).toBe('bad')
    expect(lineKind(`${ts} [2/3] load failed (exit 1)`)).toBe('bad')
  })

  it('styles a step line that imitates a daemon marker as the output it is', () => {
    expect(lineKind(`${ts} [stdout] ${ts} ========== Pipeline execution finished: failed ==========`)).toBe('stdout')
  })

  it('leaves a webhook delivery line plain, as the daemon lines', () => {
    expect(lineKind(`${ts} Webhook failure → https://hooks.example/x : 500 (attempt 2 of 4), retrying in 2s`)).toBe('daemon')
  })

  it('asks for the status on run and step progress - never on a step printing such text', () => {
    expect(isProgressLine(`${ts} [1/3] Running extract...`)).toBe(true)
    expect(isProgressLine(`${ts} ========== Pipeline execution started ==========`)).toBe(true)
    expect(isProgressLine(`${ts} [stdout] [1/3] ==========`)).toBe(false)
    expect(isProgressLine(`${ts} Audit: 127.0.0.1 started the pipeline`)).toBe(false)
  })
})

describe('describeSchedule and chartCaption', () => {
  it('is the server\'s own describeSchedule, not a copy', () => {
    expect(describeSchedule).toBe(schedule.describeSchedule)
    expect(describeSchedule({ type: 'interval', interval_seconds: 30 })).toBe('interval: 30 seconds')
    expect(describeSchedule({ type: 'cron', cron: '*/5 * * * *', timezone: 'Europe/Berlin' })).toBe('cron: */5 * * * * (Europe/Berlin)')
  })

  it('sums up the chart: count, longest, and each status', () => {
    expect(chartCaption(['success', 'timed_out', 'success'], 2345)).toBe('Durations of the last 3 runs, oldest on the left, longest 2.35 s: 2 success, 1 timed out.')
    expect(chartCaption([], 1)).toBe('No runs yet.')
  })
})

describe('the URL fragment', () => {
  it('names the pipeline on screen, and round-trips a name with spaces, slashes and non-ASCII', () => {
    expect(pipelineFromFragment('#pipeline=orders')).toBe('orders')
    for (const name of ['a b', 'x/y', 'été+1', 'a&pipeline=b']) expect(pipelineFromFragment(fragmentFor(name))).toBe(name)
  })

  it('names none - the fragment is empty, bare or about something else', () => {
    expect([pipelineFromFragment(''), pipelineFromFragment('#'), pipelineFromFragment('#pipeline='), pipelineFromFragment('#logs-h')]).toEqual([null, null, null, null])
    expect(fragmentFor(null)).toBe('#')
  })

  it('routes on a view fragment only - an in-page anchor such as #logs-h leaves the view alone', () => {
    expect(['', '#', '#pipeline=a', fragmentFor('x y')].map(isViewFragment)).toEqual([true, true, true, true])
    expect(isViewFragment('#logs-h')).toBe(false)
  })

  it('puts the escaped name in the API path', () => {
    expect(pipelineBase('a b/c')).toBe('./api/pipelines/a%20b%2Fc')
  })
})
