/**
 * The run history (newest first, ?limit, every field), current_run during a run and
 * last_run after it, and retention with --runs-keep (pruned now and then, never per run).
 */
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { call, fixture, ISO_MS, listRuns, serverForTest, startDaemon, status, waitFor, waitForFinished, type Run } from './support.js'

/** Runs now and waits for that run to be over; returns its id. */
async function runToEnd(server: Parameters<typeof listRuns>[0]): Promise<string> {
  const res = await call(server.url, 'POST', '/api/cron/run')
  expect(res.status, res.text).toBe(200)
  const id = res.body.run_id as string
  expect(id).toEqual(expect.any(String))
  await waitForFinished(server, id)
  return id
}

describe.concurrent('run history', () => {
  it('shows current_run while a step runs and last_run after, and lists every field - two steps, one failing but continue_on_error', async (ctx) => {
    const server = await serverForTest({
      pipeline: {
        name: 'history',
        steps: [
          { name: 'flaky', run: fixture('exit-with.mjs', '3'), continue_on_error: true },
          { name: 'nap', run: fixture('sleep.mjs', '1.5') },
        ],
      },
    }, ctx)
    await startDaemon(server, { interval_seconds: 3600 })
    const during = await waitFor(async () => {
      const s = await status(server)
      return s.current_run?.step === 'nap' ? s : null
    }, { what: 'current_run to reach step 2' })
    expect(during.current_run).toEqual({
      id: expect.any(String),
      trigger: 'schedule',
      started_at: expect.stringMatching(ISO_MS),
      step: 'nap',
      index: 2,
      total: 2,
      step_started_at: expect.stringMatching(ISO_MS),
    })
    expect(during.current_run.step_started_at >= during.current_run.started_at).toBe(true)
    const id = during.current_run.id as string
    // The run is listed while it goes, as running.
    expect((await listRuns(server)).find((r) => r.id === id)?.status).toBe('running')

    const run = await waitForFinished(server, id)
    const after = await status(server)
    expect(after.current_run).toBeNull()
    expect(after.last_run).toEqual({ id, status: 'failed', started_at: run.started_at, finished_at: run.finished_at, duration_ms: run.duration_ms })

    expect(run).toEqual({
      id,
      instance_id: expect.any(String),
      trigger: 'schedule',
      status: 'failed',
      // continue_on_error lets the run go on, and the reason says why it is still failed.
      reason: '1 step failed and the run went on (continue_on_error): flaky',
      scheduled_at: expect.stringMatching(ISO_MS),
      started_at: expect.stringMatching(ISO_MS),
      finished_at: expect.stringMatching(ISO_MS),
      duration_ms: expect.any(Number),
      steps: [
        { name: 'flaky', status: 'failed', exit_code: 3, signal: null, started_at: expect.stringMatching(ISO_MS), duration_ms: expect.any(Number), attempts: 1 },
        { name: 'nap', status: 'success', exit_code: 0, signal: null, started_at: expect.stringMatching(ISO_MS), duration_ms: expect.any(Number), attempts: 1 },
      ],
    })
    expect(run.duration_ms).toBe(Date.parse(run.finished_at!) - Date.parse(run.started_at))
    expect(run.duration_ms!).toBeGreaterThanOrEqual(1500)
    expect(run.steps[1]!.duration_ms).toBeGreaterThanOrEqual(1500)
    expect(run.steps[0]!.duration_ms + run.steps[1]!.duration_ms).toBeLessThanOrEqual(run.duration_ms!)
  })

  it('lists newest first and honours ?limit - one scheduled and three manual runs', async (ctx) => {
    const server = await serverForTest({ pipeline: { name: 'quick', steps: [{ name: 'echo', run: 'echo hi' }] } }, ctx)
    await startDaemon(server, { interval_seconds: 3600 })
    const first = await waitFor(async () => (await listRuns(server)).find((r) => r.status === 'success'), { what: 'the first run' })
    const ids = [first.id]
    for (let i = 0; i < 3; i++) ids.push(await runToEnd(server))

    const all = await listRuns(server, 50)
    expect(all.map((r) => r.id)).toEqual([...ids].reverse())
    expect(all.map((r) => r.trigger)).toEqual(['manual', 'manual', 'manual', 'schedule'])
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.started_at > all[i]!.started_at).toBe(true)

    const two = await call(server.url, 'GET', '/api/cron/runs?limit=2')
    expect(two.status).toBe(200)
    expect(two.body.runs.map((r: Run) => r.id)).toEqual([ids[3], ids[2]])
    expect((await call(server.url, 'GET', '/api/cron/runs?limit=1')).body.runs.map((r: Run) => r.id)).toEqual([ids[3]])

    const one = await call(server.url, 'GET', `/api/cron/runs/${ids[1]}`)
    expect(one.status).toBe(200)
    expect(one.body).toEqual(all.find((r) => r.id === ids[1]))

    for (const bad of ['0', '-1', 'abc', '100001', '1.5']) {
      const res = await call(server.url, 'GET', `/api/cron/runs?limit=${bad}`)
      expect(res.status, bad).toBe(400)
      expect(res.body.detail).toBe('limit: must be an integer from 1 to 100000')
    }
  })

  it('prunes runs.jsonl now and then, keeps the newest runs and lists them correctly - --runs-keep 10, 60 runs', { timeout: 60_000 }, async (ctx) => {
    const server = await serverForTest({ pipeline: { name: 'quick', steps: [{ name: 'echo', run: 'echo hi' }] }, args: ['--runs-keep', '10'] }, ctx)
    const file = join(server.stateDir, 'runs.jsonl')
    await startDaemon(server, { interval_seconds: 3600, run_immediately: false })
    const ids: string[] = []
    const inodes = new Set<number>()
    let maxLines = 0
    for (let i = 0; i < 60; i++) {
      ids.push(await runToEnd(server))
      inodes.add(statSync(file).ino)
      maxLines = Math.max(maxLines, recordLines(file).length)
    }
    const lines = recordLines(file)
    // 60 runs are 120 records; the file was pruned (rewritten) once or twice, not on every run.
    expect(lines.length).toBeLessThan(120)
    expect(inodes.size).toBeGreaterThanOrEqual(2)
    expect(inodes.size).toBeLessThanOrEqual(3)
    expect(maxLines).toBeLessThanOrEqual(120)
    // Every record is whole JSON, and the newest runs are all there.
    const onDisk = new Set(lines.map((l) => (JSON.parse(l) as Run).id))
    for (const id of ids.slice(-10)) expect(onDisk.has(id)).toBe(true)

    const listed = await listRuns(server, 1000)
    expect(listed.length).toBeGreaterThanOrEqual(10)
    expect(listed.length).toBe(onDisk.size)
    // Newest first, the newest record per run (no "running" left), no duplicates, no pruned run back.
    expect(listed.map((r) => r.id)).toEqual(ids.slice(-listed.length).reverse())
    for (const r of listed) expect(r.status).toBe('success')
    expect((await call(server.url, 'GET', '/api/cron/runs?limit=10')).body.runs.map((r: Run) => r.id)).toEqual(ids.slice(-10).reverse())
    expect((await call(server.url, 'GET', `/api/cron/runs/${ids[0]}`)).status).toBe(404)
  })
})

function recordLines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean)
}
