/**
 * The overlap policy (a tick during a run is skipped, logged and recorded)
 * and POST /api/cron/run (manual runs, and 409 when stopped or busy).
 */
import { describe, expect, it } from 'vitest'
import { call, fixture, ISO_MS, logText, serverForTest, startDaemon, status, waitFor, waitForFinished, waitForRuns } from './support.js'

const sleeper = (seconds: string) => ({ name: 'slow', steps: [{ name: 'nap', run: fixture('sleep.mjs', seconds) }] })

describe.concurrent('overlap policy', () => {
  it('skips ticks during a run, logs them and lists them as skipped with a reason - interval 1 s, 2.5 s step', async (ctx) => {
    const server = await serverForTest({ pipeline: sleeper('2.5') }, ctx)
    await startDaemon(server, { interval_seconds: 1 })
    const runs = await waitForRuns(
      server,
      (r) => (r.filter((x) => x.status === 'skipped').length >= 2 && r.some((x) => x.status === 'success') ? r : null),
      'two skipped ticks and a finished run',
    )
    const skipped = runs.filter((r) => r.status === 'skipped')
    const real = runs.filter((r) => r.status !== 'skipped')
    for (const s of skipped) {
      expect(s.trigger).toBe('schedule')
      expect(s.reason).toMatch(/^previous run \S+ still in progress$/)
      // The reason names the run that was going at that tick.
      const blocker = real.find((r) => s.reason!.includes(r.id))
      expect(blocker, s.reason).toBeDefined()
      expect(Date.parse(s.scheduled_at!)).toBeGreaterThanOrEqual(Date.parse(blocker!.started_at))
      expect(s.steps).toEqual([])
      expect(s.started_at).toMatch(ISO_MS)
      expect(s.finished_at).toBe(s.started_at)
      expect(s.duration_ms).toBe(0)
    }
    // Ticks are t0 + k s: each skipped tick sits on the grid of the first run.
    const t0 = Date.parse(real[real.length - 1]!.scheduled_at!)
    for (const s of skipped) expect((Date.parse(s.scheduled_at!) - t0) % 1000).toBe(0)
    // Runs never overlap.
    const ordered = real.filter((r) => r.finished_at).sort((a, b) => a.started_at.localeCompare(b.started_at))
    for (let i = 1; i < ordered.length; i++) expect(ordered[i]!.started_at >= ordered[i - 1]!.finished_at!).toBe(true)

    const skipLines = logText(server).split('\n').filter((l) => l.includes('Skipping scheduled run'))
    expect(skipLines.length).toBeGreaterThanOrEqual(skipped.length)
    expect(skipLines[0]).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] Skipping scheduled run: the previous run \(\S+\) is still in progress$/)
  })
})

describe.concurrent('POST /api/cron/run', () => {
  it('answers 409 - daemon not running', async (ctx) => {
    const server = await serverForTest({ pipeline: sleeper('0') }, ctx)
    const res = await call(server.url, 'POST', '/api/cron/run')
    expect(res.status).toBe(409)
    expect(res.body).toEqual({ error: true, detail: 'Daemon is not running', timestamp: expect.stringMatching(ISO_MS) })
  })

  it('starts a manual run and answers 409 while it is in progress - interval 3600 s, run_immediately false', async (ctx) => {
    const server = await serverForTest({ pipeline: sleeper('1.5') }, ctx)
    await startDaemon(server, { interval_seconds: 3600, run_immediately: false })
    const res = await call(server.url, 'POST', '/api/cron/run')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toEqual({ success: true, message: 'Run started', timestamp: expect.stringMatching(ISO_MS), run_id: expect.any(String) })
    const id = res.body.run_id as string

    const again = await call(server.url, 'POST', '/api/cron/run')
    expect(again.status).toBe(409)
    expect(again.body.detail).toBe(`A run is in progress (${id})`)
    const s = await status(server)
    expect(s.current_run).toMatchObject({ id, trigger: 'manual', step: 'nap', index: 1, total: 1 })

    const run = await waitForFinished(server, id)
    expect(run).toMatchObject({ id, trigger: 'manual', status: 'success', scheduled_at: null })
    expect(logText(server)).toContain(`Run ${id} (trigger: manual)`)
    // Once it is over, another manual run is accepted.
    const third = await call(server.url, 'POST', '/api/cron/run')
    expect(third.status, third.text).toBe(200)
    expect(third.body.run_id).not.toBe(id)
  })

  it('answers 409 - a scheduled run is in progress', async (ctx) => {
    const server = await serverForTest({ pipeline: sleeper('3') }, ctx)
    await startDaemon(server, { interval_seconds: 3600 })
    const current = await waitFor(async () => (await status(server)).current_run, { what: 'the scheduled run to be in progress' })
    expect(current.trigger).toBe('schedule')
    const res = await call(server.url, 'POST', '/api/cron/run')
    expect(res.status).toBe(409)
    expect(res.body.detail).toBe(`A run is in progress (${current.id})`)
    // No manual run was started behind the 409.
    expect((await waitForFinished(server, current.id)).status).toBe('success')
    const runs = await waitForRuns(server, (r) => r, 'the run list')
    expect(runs.filter((r) => r.trigger === 'manual')).toEqual([])
  })
})
