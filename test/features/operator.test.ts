/**
 * What operators expect of a scheduler: step retries with a doubling delay, a deadline for the
 * whole run, pause and resume, and the variables every step gets. Real daemons, real processes.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startServer } from '../helpers/server.js'
import { call, fixture, isAlive, listRuns, localFixture, logText, serverWithPipeline, shellScript, startDaemon, status, waitFor, waitForFile, waitForRuns } from './support.js'

const attemptsIn = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map(Number)

describe.concurrent('step retries', () => {
  it('runs the step 3 times, waiting at least 1 s then 2 s, and records attempts 3 - a step that fails twice, then succeeds', async (ctx) => {
    const server = await serverWithPipeline((dir) => ({
      name: 'flaky',
      steps: [{ name: 'fetch', run: localFixture('flaky.mjs', '2', join(dir, 'attempts')), retries: 3, retry_delay_seconds: 1 }],
    }), {}, ctx)
    await startDaemon(server, { interval_seconds: 3600 })
    const run = await waitForRuns(server, (runs) => runs.find((r) => r.status !== 'running'), 'the run to finish', 20_000)
    expect(run.status).toBe('success')
    expect(run.steps[0]).toMatchObject({ name: 'fetch', status: 'success', exit_code: 0, attempts: 3 })
    const at = attemptsIn(join(server.dir, 'attempts'))
    expect(at).toHaveLength(3)
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(1000)
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(2000)
    const log = logText(server)
    expect(log).toMatch(/\[1\/1\] fetch failed: exit 1 in \d+\.\d\ds \(attempt 1 of 4\), retrying in 1s/)
    expect(log).toMatch(/\[1\/1\] fetch failed: exit 1 in \d+\.\d\ds \(attempt 2 of 4\), retrying in 2s/)
    expect(log).toMatch(/\[1\/1\] Running fetch\.\.\. \(attempt 3 of 4\)/)
    expect(log).toMatch(/\[1\/1\] fetch finished: exit 0 in \d+\.\d\ds \(attempt 3 of 4\)/)
  })

  it('ends the wait at once and records the run cancelled, with no further attempt - stop during a retry wait', async (ctx) => {
    const server = await serverWithPipeline((dir) => ({
      name: 'flaky',
      steps: [{ name: 'fetch', run: localFixture('flaky.mjs', '9', join(dir, 'attempts')), retries: 5, retry_delay_seconds: 30 }],
    }), {}, ctx)
    await startDaemon(server, { interval_seconds: 3600 })
    await waitFor(() => /retrying in 30s/.test(logText(server)), { what: 'the first retry wait' })
    const started = Date.now()
    expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
    expect(Date.now() - started).toBeLessThan(5000)
    const run = (await listRuns(server))[0]!
    expect(run).toMatchObject({ status: 'cancelled', steps: [{ status: 'cancelled', attempts: 1 }] })
    expect(attemptsIn(join(server.dir, 'attempts'))).toHaveLength(1)
  })

  it('lets the retries finish the run - stop with drain during a retry wait', async (ctx) => {
    const server = await serverWithPipeline((dir) => ({
      name: 'flaky',
      steps: [{ name: 'fetch', run: localFixture('flaky.mjs', '1', join(dir, 'attempts')), retries: 2, retry_delay_seconds: 1 }],
    }), {}, ctx)
    await startDaemon(server, { interval_seconds: 3600 })
    await waitFor(() => /retrying in 1s/.test(logText(server)), { what: 'the retry wait' })
    const stop = await call(server.url, 'POST', '/api/cron/stop', { json: { mode: 'drain' } })
    expect(stop.status, stop.text).toBe(200)
    const run = (await listRuns(server))[0]!
    expect(run).toMatchObject({ status: 'success', steps: [{ status: 'success', attempts: 2 }] })
  })
})

describe.concurrent('run deadline', () => {
  it('ends the running step tree and records the run timed_out with the reason - timeout_seconds 1, a step that sleeps 30 s with a child', async (ctx) => {
    const server = await serverWithPipeline((dir) => ({
      name: 'slow',
      timeout_seconds: 1,
      steps: [
        // A shell, not a Node fixture: it writes its pids within milliseconds, where Node's start-up
        // on a loaded CI machine took longer than the 1 s deadline and the tree died before writing.
        { name: 'tree', run: shellScript(dir, 'tree.sh', `sleep 30 &\necho "$$ $!" > "${dir}/pids.tmp" && mv "${dir}/pids.tmp" "${dir}/pids"\nwait`) },
        { name: 'after', run: fixture('print-lines.mjs', '1', '0', 'never') },
      ],
    }), {}, ctx)
    await startDaemon(server, { interval_seconds: 3600 })
    const pids = (await waitForFile(join(server.dir, 'pids'), 10_000)).trim().split(' ').map(Number)
    const run = await waitForRuns(server, (runs) => runs.find((r) => r.status !== 'running'), 'the run to end', 15_000)
    expect(run).toMatchObject({ status: 'timed_out', reason: expect.stringMatching(/timeout_seconds \(1s\) during step tree/) })
    expect(run.steps).toMatchObject([{ name: 'tree', status: 'timed_out' }, { name: 'after', status: 'not_run', attempts: 0 }])
    expect(run.duration_ms!).toBeLessThan(8000)
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false)
    expect(logText(server)).not.toMatch(/never/)
  })
})

describe.concurrent('pause and resume', () => {
  it('answers 409 with the reason - pause or resume a stopped pipeline, pause twice, resume an unpaused one', async (ctx) => {
    const server = await serverWithPipeline(() => ({ name: 'p', steps: [{ name: 's', run: 'true' }] }), {}, ctx)
    for (const path of ['/api/cron/pause', '/api/cron/resume']) {
      const res = await call(server.url, 'POST', path)
      expect(res.status, res.text).toBe(409)
      expect(res.body).toMatchObject({ error: true, detail: 'Daemon is not running' })
    }
    await startDaemon(server, { interval_seconds: 3600, run_immediately: false })
    const notPaused = await call(server.url, 'POST', '/api/cron/resume')
    expect(notPaused.status).toBe(409)
    expect(notPaused.body.detail).toBe('The pipeline is not paused')
    expect((await call(server.url, 'POST', '/api/cron/pause')).status).toBe(200)
    const twice = await call(server.url, 'POST', '/api/cron/pause')
    expect(twice.status).toBe(409)
    expect(twice.body.detail).toBe('The pipeline is already paused')
  })

  it('records each tick while paused as skipped with reason paused, still runs on demand, and runs ticks again once resumed', async (ctx) => {
    const server = await serverWithPipeline(() => ({ name: 'p', steps: [{ name: 's', run: fixture('print-lines.mjs', '1', '0', 'ran') }] }), {}, ctx)
    await startDaemon(server, { interval_seconds: 1, run_immediately: false })
    const paused = await call(server.url, 'POST', '/api/cron/pause')
    expect(paused.status, paused.text).toBe(200)
    expect(await status(server)).toMatchObject({ is_running: true, paused: true, message: expect.stringMatching(/^Daemon is paused \(PID: \d+\)$/) })
    const skipped = await waitForRuns(server, (runs) => {
      const s = runs.filter((r) => r.status === 'skipped')
      return s.length >= 2 ? s : null
    }, 'two ticks skipped while paused')
    for (const run of skipped) expect(run).toMatchObject({ trigger: 'schedule', reason: 'paused', scheduled_at: expect.any(String) })
    expect((await listRuns(server)).filter((r) => r.status === 'success')).toEqual([])

    const manual = await call(server.url, 'POST', '/api/cron/run')
    expect(manual.status, manual.text).toBe(200)
    await waitForRuns(server, (runs) => runs.find((r) => r.id === manual.body.run_id && r.status === 'success'), 'the manual run')

    expect((await call(server.url, 'POST', '/api/cron/resume')).status).toBe(200)
    expect(await status(server)).toMatchObject({ paused: false })
    await waitForRuns(server, (runs) => runs.find((r) => r.trigger === 'schedule' && r.status === 'success'), 'a scheduled run after resume')
  })

  it('stays paused after the daemon is killed and restarted, and after the server is restarted', async (ctx) => {
    const server = await serverWithPipeline(() => ({ name: 'p', steps: [{ name: 's', run: 'true' }] }), {}, ctx)
    const { pid } = await startDaemon(server, { interval_seconds: 3600, run_immediately: false })
    expect((await call(server.url, 'POST', '/api/cron/pause')).status).toBe(200)
    process.kill(pid, 'SIGKILL')
    const back = await waitFor(async () => {
      const s = await status(server)
      return s.is_running && s.pid !== pid ? s : null
    }, { timeoutMs: 5000, what: 'the daemon to be restarted' })
    expect(back.paused).toBe(true)

    // The server too: a new one on the same state dir finds the pipeline still paused.
    await server.close()
    const again = await startServer({ dir: server.dir })
    ctx.onTestFinished(() => again.close())
    expect(await status(again)).toMatchObject({ is_running: true, paused: true, pid: back.pid })
    const skippedOnce = await call(again.url, 'POST', '/api/cron/pause')
    expect(skippedOnce.status).toBe(409)
  })
})

describe.concurrent('step environment', () => {
  it('gives every step PIPELINE_CRON_PIPELINE, PIPELINE_CRON_RUN_ID and PIPELINE_CRON_SCHEDULED_AT (empty for a manual run)', async (ctx) => {
    const server = await serverWithPipeline((dir) => ({ name: 'env', steps: [{ name: 'dump', run: localFixture('env-dump.mjs', join(dir, 'env.jsonl')) }] }), {}, ctx)
    await startDaemon(server, { interval_seconds: 3600 })
    const scheduled = await waitForRuns(server, (runs) => runs.find((r) => r.status === 'success'), 'the scheduled run')
    const manual = await call(server.url, 'POST', '/api/cron/run')
    await waitForRuns(server, (runs) => runs.find((r) => r.id === manual.body.run_id && r.status === 'success'), 'the manual run')
    const [first, second] = readFileSync(join(server.dir, 'env.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(first).toMatchObject({ PIPELINE_CRON_PIPELINE: 'default', PIPELINE_CRON_RUN_ID: scheduled.id, PIPELINE_CRON_SCHEDULED_AT: scheduled.scheduled_at })
    expect(second).toMatchObject({ PIPELINE_CRON_PIPELINE: 'default', PIPELINE_CRON_RUN_ID: manual.body.run_id, PIPELINE_CRON_SCHEDULED_AT: '' })
    expect(first.PIPELINE_CRON_INSTANCE).toEqual(expect.any(String))
  })
})
