/**
 * GET /metrics is valid Prometheus text that agrees with the run history,
 * and the dead-man check GET /api/cron/health (200 / 503 with the reason).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { startServer } from '../helpers/server.js'
import { call, ISO_MS, listRuns, serverForTest, serverWithPipeline, startDaemon, waitFor, waitForRuns, type TestServer } from '../helpers/real-server.js'
import { metrics, parsePrometheus, shellScript } from './support.js'

// Checks that start no daemon share one server.
let idle: Promise<TestServer> | null = null
const idleServer = () => (idle ??= startServer({ pipeline: { name: 'p', steps: [{ name: 's', run: 'true' }] } }))
afterAll(async () => (await idle)?.cleanup())

const STATUSES = ['success', 'failed', 'timed_out', 'cancelled', 'abandoned', 'skipped']

/** A step that fails on its first run and succeeds afterwards, sleeping `seconds` each time. */
const failsFirst = (seconds: string) => (dir: string) => ({
  name: 'flaky',
  steps: [
    {
      name: 'work',
      run: shellScript(dir, 'work.sh', [`sleep ${seconds}`, `if [ ! -f "${dir}/once" ]; then touch "${dir}/once"; exit 4; fi`].join('\n')),
    },
  ],
})

/** A step that succeeds on its first run and fails afterwards. */
const succeedsFirst = (dir: string) => ({
  name: 'decaying',
  steps: [{ name: 'work', run: shellScript(dir, 'work.sh', `if [ -f "${dir}/once" ]; then exit 5; fi; touch "${dir}/once"`) }],
})

async function health(server: TestServer, query = '') {
  return call(server.url, 'GET', `/api/cron/health${query}`)
}

describe.concurrent('GET /metrics', () => {
  it('is valid Prometheus text with daemon up 0 and every count 0 - stopped, no runs', async (ctx) => {
    const server = await idleServer()
    const m = await metrics(server)
    expect(m.types.get('pipeline_cron_daemon_up')).toBe('gauge')
    expect(m.types.get('pipeline_cron_runs_total')).toBe('counter')
    expect(m.types.get('pipeline_cron_skipped_ticks_total')).toBe('counter')
    for (const name of m.types.keys()) expect(m.help.get(name), `HELP for ${name}`).toBeTruthy()
    expect(m.value('pipeline_cron_daemon_up')).toBe(0)
    for (const s of STATUSES) expect(m.value('pipeline_cron_runs_total', { status: s }), s).toBe(0)
    expect(m.value('pipeline_cron_skipped_ticks_total')).toBe(0)
    expect(m.samples.some((s) => s.name === 'pipeline_cron_last_success_timestamp_seconds')).toBe(false)
  })

  it('counts runs by status and skipped ticks, with the last duration and last success time - failed, successful and skipped runs', { timeout: 60_000 }, async (ctx) => {
    const server = await serverWithPipeline(failsFirst('1.2'), {}, ctx)
    await startDaemon(server, { interval_seconds: 1 })
    await waitForRuns(
      server,
      (r) => ['failed', 'success', 'skipped'].every((s) => r.some((x) => x.status === s)),
      'a failed, a successful and a skipped run',
      20_000,
    )
    const live = await metrics(server)
    expect(live.value('pipeline_cron_daemon_up')).toBe(1)

    expect((await call(server.url, 'POST', '/api/cron/stop', { json: { mode: 'drain' } })).status).toBe(200)
    const runs = await listRuns(server, 1000)
    const m = await metrics(server)
    expect(m.value('pipeline_cron_daemon_up')).toBe(0)
    expect(m.value('pipeline_cron_run_in_progress')).toBe(0)
    for (const s of STATUSES) expect(m.value('pipeline_cron_runs_total', { status: s }), s).toBe(runs.filter((r) => r.status === s).length)
    expect(m.value('pipeline_cron_runs_total', { status: 'failed' })).toBe(1)
    expect(m.value('pipeline_cron_runs_total', { status: 'success' })).toBeGreaterThanOrEqual(1)
    const skipped = runs.filter((r) => r.status === 'skipped').length
    expect(skipped).toBeGreaterThanOrEqual(1)
    expect(m.value('pipeline_cron_skipped_ticks_total')).toBe(skipped)

    const finished = runs.filter((r) => r.status !== 'skipped')
    const last = finished[0]!
    expect(m.value('pipeline_cron_last_run_duration_seconds', { status: last.status })).toBe(last.duration_ms! / 1000)
    expect(m.value('pipeline_cron_last_run_duration_seconds')).toBeGreaterThanOrEqual(1.2)
    const lastSuccess = finished.find((r) => r.status === 'success')!
    expect(m.value('pipeline_cron_last_success_timestamp_seconds')).toBe(Date.parse(lastSuccess.finished_at!) / 1000)
  })
})

describe.concurrent('GET /api/cron/health (dead-man)', () => {
  it('answers 503 with the reason - daemon stopped', async (ctx) => {
    const server = await idleServer()
    const res = await health(server)
    expect(res.status).toBe(503)
    expect(res.body).toEqual({ error: true, detail: 'Daemon is not running', timestamp: expect.stringMatching(ISO_MS) })
  })

  it('answers 200 with the last success - daemon running, success since the tick before the last', async (ctx) => {
    const server = await serverForTest({ pipeline: { name: 'p', steps: [{ name: 's', run: 'true' }] } }, ctx)
    await startDaemon(server, { interval_seconds: 30 })
    const ok = await waitForRuns(server, (r) => r.find((x) => x.status === 'success'), 'a successful run')
    const res = await health(server)
    expect(res.status, res.text).toBe(200)
    expect(res.body).toEqual({
      status: 'ok',
      reason: expect.stringMatching(/^Last success \d+s ago$/),
      last_success_at: ok.finished_at,
      max_age_seconds: null,
      // Right after start the schedule has not fired twice: nothing is overdue yet.
      expected_since: null,
      timestamp: expect.stringMatching(ISO_MS),
    })
  })

  it('answers 503 once the last success is older than max_age_seconds - ?max_age_seconds=1, later runs fail', async (ctx) => {
    const server = await serverWithPipeline(succeedsFirst, {}, ctx)
    await startDaemon(server, { interval_seconds: 1 })
    const ok = await waitForRuns(server, (r) => r.find((x) => x.status === 'success'), 'the one successful run')
    const res = await waitFor(async () => {
      const h = await health(server, '?max_age_seconds=1')
      return h.status === 503 ? h : null
    }, { what: 'the health check to turn 503', timeoutMs: 10_000 })
    expect(res.body.detail).toMatch(/^Last successful run was \d+s ago \(more than 1s\)$/)
    expect((await listRuns(server)).some((r) => r.status === 'failed')).toBe(true)
    // The same success is recent enough for a larger window.
    const wide = await health(server, '?max_age_seconds=3600')
    expect(wide.status).toBe(200)
    expect(wide.body.last_success_at).toBe(ok.finished_at)
  })

  it('answers 503 when no run ever succeeded - ?max_age_seconds=1, every run fails', async (ctx) => {
    const server = await serverForTest({ pipeline: { name: 'p', steps: [{ name: 's', run: 'exit 2' }] } }, ctx)
    await startDaemon(server, { interval_seconds: 1 })
    const res = await waitFor(async () => {
      const h = await health(server, '?max_age_seconds=1')
      return h.status === 503 ? h : null
    }, { what: 'the health check to turn 503', timeoutMs: 10_000 })
    expect(res.body.detail).toBe('No successful run in the last 1s')
    expect((await health(server, '?max_age_seconds=0')).status).toBe(400)
  })

  it('rejects a bad max_age_seconds with 400 naming it', async (ctx) => {
    const server = await idleServer()
    const res = await health(server, '?max_age_seconds=abc')
    expect(res.status).toBe(400)
    expect(res.body.detail).toMatch(/^max_age_seconds: /)
  })
})

describe('Prometheus parser (self-check)', () => {
  it('rejects malformed expositions - bad sample, TYPE after sample, missing newline', () => {
    expect(() => parsePrometheus('# TYPE a gauge\na{x="1" 1\n')).toThrow()
    expect(() => parsePrometheus('# TYPE a gauge\na 1\n# TYPE a gauge\n')).toThrow()
    expect(() => parsePrometheus('a 1\n')).toThrow(/before its TYPE/)
    expect(() => parsePrometheus('# TYPE a gauge\na 1')).toThrow(/newline/)
    expect(parsePrometheus('# HELP a x\n# TYPE a gauge\na{l="q\\"uote"} 1.5\n').value('a', { l: 'q"uote' })).toBe(1.5)
  })
})
