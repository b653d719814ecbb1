/** The CLI's human output: status summary, runs table, colour rules. */
import { describe, expect, it } from 'vitest'
import { formatInterval, formatPipelines, formatRuns, formatStatus, missedNote, paintFor, relative } from '../../adapters/node/cli/format.js'
import type { DaemonStatus, PipelineSummary, RunRecord, StepRecord } from '../../src/client.js'

const plain = paintFor({ isTTY: false }, {})
const now = new Date('2025-12-26T10:31:00.000Z')

const status: DaemonStatus = {
  is_running: true,
  pid: 12345,
  message: 'Daemon is running (PID: 12345)',
  paused: false,
  schedule: { type: 'interval', interval_seconds: 300 },
  started_at: '2025-12-26T10:26:00.000Z',
  next_run_at: '2025-12-26T10:31:12.000Z',
  next_runs: [],
  current_run: { id: 'r2', trigger: 'schedule', started_at: '2025-12-26T10:30:57.000Z', step: 'transform', index: 2, total: 5, step_started_at: null },
  last_run: { id: 'r1', status: 'failed', started_at: '2025-12-26T10:26:00.000Z', finished_at: '2025-12-26T10:26:12.300Z', duration_ms: 12_300 },
}

const run = (patch: Partial<RunRecord>): RunRecord => ({
  id: '20251226T102600Z-3f2a',
  instance_id: 'i',
  trigger: 'schedule',
  status: 'success',
  scheduled_at: null,
  started_at: '2025-12-26T10:26:00.000Z',
  finished_at: '2025-12-26T10:26:12.300Z',
  duration_ms: 12_300,
  steps: [{ name: 'extract', status: 'success', exit_code: 0, signal: null, started_at: '2025-12-26T10:26:00.000Z', duration_ms: 100 }],
  ...patch,
})

describe('formatStatus', () => {
  it('says running, the schedule, the step in progress, the next and the last run', () => {
    const lines = formatStatus(status, plain, now).split('\n')
    expect(lines[0]).toBe('Daemon:    running (PID 12345)')
    expect(lines[1]).toBe('Schedule:  every 5 minutes')
    expect(lines[2]).toMatch(/^Started: {3}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(5m ago\)$/)
    expect(lines[3]).toBe('Running:   step 2/5 transform, run r2 (schedule) since 3s ago')
    expect(lines[4]).toMatch(/^Next run: {2}.* \(in 12s\)$/)
    expect(lines[5]).toMatch(/^Last run: {2}failed in 12\.3s, finished [\d-]+ [\d:]+ \(5m ago\) \(r1\)$/)
  })

  it('says paused and that the next tick is skipped - a paused pipeline', () => {
    const lines = formatStatus({ ...status, paused: true }, plain, now).split('\n')
    expect(lines[0]).toBe('Daemon:    running (PID 12345), paused: scheduled runs are skipped until it is resumed')
    expect(lines[4]).toMatch(/^Next run: {2}.* \(in 12s\) \(skipped: paused\)$/)
  })

  it('says cluster instead of a pid, and names the worker that runs the step - cluster mode', () => {
    const lines = formatStatus({ ...status, pid: null, worker: { host: 'worker-2', pid: 4711 } }, plain, now).split('\n')
    expect(lines[0]).toBe('Daemon:    running (cluster)')
    expect(lines[3]).toBe('Running:   step 2/5 transform, run r2 (schedule) on worker-2 (PID 4711) since 3s ago')
  })

  it('names the pipeline first - asked with --name', () => {
    expect(formatStatus(status, plain, now, 'orders').split('\n')[0]).toBe('Pipeline:  orders')
  })

  it('says stopped and "none yet" - a fresh server', () => {
    const text = formatStatus({ ...status, is_running: false, pid: null, schedule: null, started_at: null, next_run_at: null, current_run: null, last_run: null }, plain, now)
    expect(text).toBe('Daemon:    stopped\nLast run:  none yet')
  })
})

describe('formatRuns', () => {
  it('aligns the columns and notes why a run did not succeed', () => {
    const table = formatRuns(
      [
        run({ id: 'b', status: 'failed', steps: [{ name: 'load', status: 'failed', exit_code: 2, signal: null, started_at: '2025-12-26T10:26:00.000Z', duration_ms: 5 }] }),
        run({ id: 'a-longer-id', trigger: 'manual', status: 'skipped', reason: 'a run was still in progress', steps: [], duration_ms: null }),
      ],
      plain,
    ).split('\n')
    expect(table[0]).toBe('ID           TRIGGER   STATUS   STARTED              DURATION  STEPS  NOTE')
    expect(table[1]).toMatch(/^b +schedule +failed +[\d-]+ [\d:]+ +12\.3s +1\/1 +step load failed: exit 2 in 0\.01s$/)
    expect(table[2]).toMatch(/^a-longer-id +manual +skipped +[\d-]+ [\d:]+ +- +0\/0 +a run was still in progress$/)
    // Every row's STATUS column starts where the header's does.
    const at = table[0]!.indexOf('STATUS')
    for (const row of table.slice(1)) expect(row.slice(at, at + 7).trim()).toMatch(/^(failed|skipped)$/)
  })

  it('counts steps as ran/total, not-run steps in the total, and notes attempts over 1 - a failed run with retries', () => {
    const step = (name: string, status: StepRecord['status'], attempts: number, exit_code: number | null = 0): StepRecord => ({
      name,
      status,
      exit_code,
      signal: null,
      started_at: status === 'not_run' ? null : '2025-12-26T10:26:00.000Z',
      duration_ms: 5,
      attempts,
    })
    const table = formatRuns(
      [
        run({ id: 'f', status: 'failed', reason: 'step load failed: exit 2 in 0.01s', steps: [step('extract', 'success', 2), step('load', 'failed', 3, 2), step('report', 'not_run', 0, null)] }),
        run({ id: 's', steps: [step('extract', 'success', 1), step('load', 'success', 1)] }),
      ],
      plain,
    ).split('\n')
    expect(table[1]).toMatch(/^f +schedule +failed +.* +2\/3 +step load failed: exit 2 in 0\.01s; extract: 2 attempts, load: 3 attempts$/)
    expect(table[2]).toMatch(/^s +schedule +success +.* +2\/2$/)
  })

  it('says "No runs yet." - no runs', () => {
    expect(formatRuns([], plain)).toBe('No runs yet.')
  })
})

describe('formatPipelines', () => {
  const summary = (patch: Partial<PipelineSummary>): PipelineSummary => ({
    name: 'orders',
    steps: 2,
    error: null,
    is_running: false,
    paused: false,
    schedule: null,
    next_run_at: null,
    current_run: null,
    last_run: null,
    ...patch,
  })

  it('shows each pipeline running, paused or stopped with its schedule, next and last run', () => {
    const table = formatPipelines(
      [
        summary({ name: 'billing', is_running: true, paused: true, schedule: { type: 'cron', cron: '0 * * * *', timezone: 'UTC' }, next_run_at: '2025-12-26T11:00:00.000Z' }),
        summary({ name: 'broken', steps: null, error: 'broken.json: steps: expected an array' }),
        summary({
          name: 'orders',
          is_running: true,
          schedule: { type: 'interval', interval_seconds: 300 },
          next_run_at: '2025-12-26T10:31:12.000Z',
          current_run: status.current_run,
          last_run: status.last_run,
        }),
      ],
      plain,
      now,
    ).split('\n')
    expect(table[0]).toBe('NAME     STATE    SCHEDULE              NEXT RUN  LAST RUN       NOTE')
    // Paused: the next tick is skipped, so no next run is shown.
    expect(table[1]).toBe('billing  paused   cron 0 * * * * (UTC)  -         -')
    expect(table[2]).toBe('broken   stopped  -                     -         -              broken.json: steps: expected an array')
    expect(table[3]).toBe('orders   running  every 5 minutes       in 12s    failed 5m ago  running step 2/5 transform')
  })

  it('says "No pipelines on this server." - none', () => {
    expect(formatPipelines([], plain)).toBe('No pipelines on this server.')
  })
})

describe('missedNote', () => {
  it.each([
    [1, '-- 1 line skipped (this client fell behind) --'],
    [2, '-- 2 lines skipped (this client fell behind) --'],
  ])('says %i line(s) in the right number', (n, text) => {
    expect(missedNote(n)).toBe(text)
  })
})

describe('colour', () => {
  it('colours only on a TTY without NO_COLOR, and keeps the columns aligned', () => {
    expect(paintFor({ isTTY: true }, {}).green('ok')).toBe('\x1b[32mok\x1b[39m')
    expect(paintFor({ isTTY: true }, { NO_COLOR: '1' }).green('ok')).toBe('ok')
    expect(paintFor({ isTTY: false }, {}).green('ok')).toBe('ok')
    const coloured = formatRuns([run({})], paintFor({ isTTY: true }, {}))
    expect(coloured.replace(/\x1b\[\d+m/g, '')).toBe(formatRuns([run({})], plain))
  })
})

describe('durations', () => {
  it.each([
    [60, '60 seconds'],
    [90, '90 seconds'],
    [300, '5 minutes'],
    [3600, '1 hour'],
    [5400, '90 minutes'],
    [86_400, '1 day'],
    [1, '1 second'],
  ])('formats an interval of %i s as "%s"', (s, text) => {
    expect(formatInterval(s)).toBe(text)
  })

  it('says "in", "ago" and "just now"', () => {
    expect(relative('2025-12-26T10:31:12.000Z', now)).toBe('in 12s')
    expect(relative('2025-12-26T10:26:00.000Z', now)).toBe('5m ago')
    expect(relative('2025-12-26T10:31:00.400Z', now)).toBe('just now')
  })
})
