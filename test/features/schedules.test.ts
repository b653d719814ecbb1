/**
 * Cron schedules (with and without a time zone), the next run times in the status,
 * validation of the expression and the zone, and run_immediately for interval and cron.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startServer } from '../helpers/server.js'
import { call, fixture, ISO_MS, linesOf, serverForTest, startDaemon, status, waitFor, waitForRuns, type Run, type Ctx, type TestServer } from './support.js'

const quick = { name: 'quick', steps: [{ name: 'hello', run: fixture('print-lines.mjs', '1', '0', 'hello') }] }

const oldestFirst = (runs: Run[]) => [...runs].sort((a, b) => a.started_at.localeCompare(b.started_at))
const finishedScheduled = (runs: Run[]) => runs.filter((r) => r.trigger === 'schedule' && r.status === 'success')

function expectIncreasingIsoTimes(times: string[], count: number) {
  expect(times).toHaveLength(count)
  for (const t of times) expect(t).toMatch(ISO_MS)
  for (let i = 1; i < times.length; i++) expect(Date.parse(times[i]!)).toBeGreaterThan(Date.parse(times[i - 1]!))
}

/** Wall-clock hour and minute of `iso` in `timeZone`. */
function wallClock(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso))
}

describe.concurrent('cron schedules', () => {
  // The 400 cases start no daemon, so they share one server.
  let sharedServer: Promise<TestServer> | null = null
  const shared = () => (sharedServer ??= startServer({ pipeline: quick }))
  afterAll(async () => (await sharedServer)?.cleanup())

  it('runs on every second and shows schedule, next_run_at and five increasing next_runs - cron "*/1 * * * * *"', async (ctx) => {
    const server = await serverForTest({ pipeline: quick }, ctx)
    const res = await call(server.url, 'POST', '/api/cron/start', { json: { cron: '*/1 * * * * *' } })
    expect(res.status, res.text).toBe(200)
    expect(res.body.message).toMatch(/^Daemon started successfully with cron: \*\/1 \* \* \* \* \* \(PID: \d+\)$/)

    const runs = await waitForRuns(server, (r) => (finishedScheduled(r).length >= 2 ? finishedScheduled(r) : null), 'two scheduled runs')
    for (const run of runs) {
      // Cron fire times are whole seconds, each run at its own tick.
      expect(run.scheduled_at).toMatch(/\.000Z$/)
      expect(Date.parse(run.started_at)).toBeGreaterThanOrEqual(Date.parse(run.scheduled_at!))
    }
    expect(new Set(runs.map((r) => r.scheduled_at)).size).toBe(runs.length)

    const s = await status(server)
    expect(s.is_running).toBe(true)
    expect(s.schedule).toEqual({ type: 'cron', cron: '*/1 * * * * *', timezone: null })
    expect(s.next_run_at).toMatch(ISO_MS)
    expectIncreasingIsoTimes(s.next_runs, 5)
    expect(s.next_runs[0]).toBe(s.next_run_at)
    for (let i = 1; i < 5; i++) expect(Date.parse(s.next_runs[i]) - Date.parse(s.next_runs[i - 1])).toBe(1000)
  })

  it('runs and reports the zone - cron "*/1 * * * * *" with timezone Asia/Kolkata', async (ctx) => {
    const server = await serverForTest({ pipeline: quick }, ctx)
    const res = await call(server.url, 'POST', '/api/cron/start', { json: { cron: '*/1 * * * * *', timezone: 'Asia/Kolkata' } })
    expect(res.status, res.text).toBe(200)
    expect(res.body.message).toMatch(/with cron: \*\/1 \* \* \* \* \* \(Asia\/Kolkata\) \(PID: \d+\)$/)
    await waitForRuns(server, (r) => finishedScheduled(r).length >= 1, 'a scheduled run')
    const s = await status(server)
    expect(s.schedule).toEqual({ type: 'cron', cron: '*/1 * * * * *', timezone: 'Asia/Kolkata' })
    expectIncreasingIsoTimes(s.next_runs, 5)
  })

  it("lists the next five fire times at the zone's wall-clock time - cron \"30 9 * * *\" in America/New_York", async (ctx) => {
    const server = await serverForTest({ pipeline: quick }, ctx)
    await startDaemon(server, { cron: '30 9 * * *', timezone: 'America/New_York' })
    const s = await status(server)
    expect(s.schedule).toEqual({ type: 'cron', cron: '30 9 * * *', timezone: 'America/New_York' })
    expectIncreasingIsoTimes(s.next_runs, 5)
    for (const t of s.next_runs) expect(wallClock(t, 'America/New_York')).toBe('09:30')
    // One a day: 23 to 25 hours apart (a daylight-saving change may fall in between).
    for (let i = 1; i < 5; i++) {
      const hours = (Date.parse(s.next_runs[i]) - Date.parse(s.next_runs[i - 1])) / 3_600_000
      expect(hours).toBeGreaterThanOrEqual(23)
      expect(hours).toBeLessThanOrEqual(25)
    }
    expect(Date.parse(s.next_run_at)).toBeGreaterThan(Date.now())
  })

  it.each([
    [{ cron: '61 * * * *' }, /^cron: invalid cron expression \(.+\)$/],
    [{ cron: 'every minute' }, /^cron: invalid cron expression \(.+\)$/],
    [{ cron: '* * * * * * * *' }, /^cron: invalid cron expression \(.+\)$/],
    [{ cron: 12 }, /^cron: /],
    [{ cron: '*/5 * * * *', timezone: 'Mars/Olympus_Mons' }, /^timezone: unknown time zone "Mars\/Olympus_Mons"$/],
    [{ cron: '*/5 * * * *', timezone: 'GMT+25' }, /^timezone: unknown time zone/],
    [{ interval_seconds: 60, timezone: 'Europe/Berlin' }, /^timezone: only allowed with cron$/],
    [{ interval_seconds: 60, cron: '*/5 * * * *' }, /^cron: give either interval_seconds or cron, not both$/],
  ])('answers 400 naming the field and starts nothing - %j', async (body, detail) => {
    const server = await shared()
    const res = await call(server.url, 'POST', '/api/cron/start', { json: body })
    expect(res.status, res.text).toBe(400)
    expect(res.body).toEqual({ error: true, detail: expect.stringMatching(detail), timestamp: expect.stringMatching(ISO_MS) })
    expect((await status(server)).is_running).toBe(false)
  })
})

describe.concurrent('run_immediately', () => {
  /** Starts with `body` and returns the daemon's start time and its first run (oldest). */
  async function firstRun(ctx: Ctx, body: Record<string, unknown>) {
    const server = await serverForTest({ pipeline: quick }, ctx)
    await startDaemon(server, body)
    const t0 = (await status(server)).started_at as string
    const first = await waitForRuns(server, (r) => oldestFirst(r)[0], 'a first run')
    return { t0, first }
  }

  it('runs at start, scheduled at the start time - interval, run_immediately omitted', async (ctx) => {
    const { t0, first } = await firstRun(ctx, { interval_seconds: 3600 })
    expect(first.trigger).toBe('schedule')
    expect(first.scheduled_at).toBe(t0)
  })

  it('runs at start - interval, run_immediately true', async (ctx) => {
    const { t0, first } = await firstRun(ctx, { interval_seconds: 3600, run_immediately: true })
    expect(first.scheduled_at).toBe(t0)
  })

  it('waits one interval before the first run - interval 1 s, run_immediately false', async (ctx) => {
    const { t0, first } = await firstRun(ctx, { interval_seconds: 1, run_immediately: false })
    expect(first.scheduled_at).toBe(new Date(Date.parse(t0) + 1000).toISOString())
    expect(Date.parse(first.started_at)).toBeGreaterThanOrEqual(Date.parse(t0) + 1000)
  })

  it('waits for the first fire time - cron, run_immediately omitted', async (ctx) => {
    const { t0, first } = await firstRun(ctx, { cron: '*/1 * * * * *' })
    expect(first.scheduled_at).not.toBe(t0)
    expect(first.scheduled_at).toMatch(/\.000Z$/)
    expect(Date.parse(first.scheduled_at!)).toBeGreaterThan(Date.parse(t0))
  })

  it('runs at start although the expression fires next year - cron "0 0 1 1 *", run_immediately true', async (ctx) => {
    const { t0, first } = await firstRun(ctx, { cron: '0 0 1 1 *', run_immediately: true })
    expect(first.scheduled_at).toBe(t0)
    expect(first.trigger).toBe('schedule')
  })
})

describe('many pipelines due at once', () => {
  const parsed = (line: string): Run[] => {
    try {
      return [JSON.parse(line) as Run]
    } catch {
      return []
    }
  }

  it('records each run as started when its tick fired, in its running and its finished record alike - 20 pipelines due at the same second', async (ctx) => {
    const names = Array.from({ length: 20 }, (_, i) => `p${String(i + 1).padStart(2, '0')}`)
    const server = await serverForTest({ pipelines: Object.fromEntries(names.map((name) => [name, { ...quick, name }])) }, ctx)
    for (const name of names) {
      const res = await call(server.url, 'POST', `/api/pipelines/${name}/start`, { json: { cron: '* * * * * *' } })
      expect(res.status, res.text).toBe(200)
    }
    // Two ticks with all twenty due, each pipeline's runs finished.
    const from = Date.now()
    // Every record of a run, its `running` one too; a line being appended as we read is left out.
    const recordsOf = (name: string) => linesOf(readFileSync(join(server.stateDir, 'pipelines', name, 'runs.jsonl'), 'utf8')).flatMap((l) => parsed(l))
    const ticked = (name: string) => recordsOf(name).filter((r) => r.status === 'success' && Date.parse(r.scheduled_at!) >= from)
    await waitFor(() => names.every((name) => ticked(name).length >= 2), { timeoutMs: 20_000, intervalMs: 100, what: 'two finished ticks of every pipeline' })

    for (const name of names) {
      const records = recordsOf(name)
      for (const run of ticked(name)) {
        const running = records.find((r) => r.id === run.id && r.status === 'running')!
        expect(running.started_at, `${name} ${run.id}`).toBe(run.started_at)
        expect(Date.parse(run.started_at)).toBeGreaterThanOrEqual(Date.parse(run.scheduled_at!))
        expect(run.duration_ms).toBe(Date.parse(run.finished_at!) - Date.parse(run.started_at))
        // The step starts once the run is recorded: never before the run's own start.
        expect(Date.parse(run.steps[0]!.started_at)).toBeGreaterThanOrEqual(Date.parse(run.started_at))
      }
    }
  })
})
