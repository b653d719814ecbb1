/**
 * A daemon killed with SIGKILL mid-step leaves an `abandoned` run and is brought back with its
 * schedule; and the two stop modes: drain lets the run finish, cancel ends it.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  call,
  fixture,
  isAlive,
  killTreeAtEnd,
  listRuns,
  logText,
  pidsWithEnv,
  readState,
  serverWithPipeline,
  startDaemon,
  status,
  waitFor,
  waitForRuns,
  type Ctx,
  type TestServer,
} from './support.js'

/** One step that sleeps `seconds`, writing its pid to DIR/step.pid. */
const sleeper = (seconds: string) => (dir: string) => ({ name: 'slow', steps: [{ name: 'nap', run: fixture('sleep.mjs', seconds, join(dir, 'step.pid')) }] })

/** Starts the daemon and waits until its first run is in its step; returns the run id and instance. */
async function midStep(ctx: Ctx, server: TestServer) {
  const { pid } = await startDaemon(server, { interval_seconds: 3600 })
  const instance = readState(server)!.instance_id
  killTreeAtEnd(instance, ctx)
  const run = await waitFor(async () => {
    const s = await status(server)
    return s.current_run?.step === 'nap' ? s.current_run : null
  }, { what: 'the run to be in its step' })
  return { pid, instance, runId: run.id as string }
}

async function killDaemon(pid: number) {
  process.kill(pid, 'SIGKILL')
  await waitFor(() => !isAlive(pid), { what: `daemon ${pid} to die` })
}

describe.concurrent('crash-safe reconciliation', () => {
  it('marks the run abandoned and restarts the daemon with the same schedule - daemon killed with SIGKILL mid-step', async (ctx) => {
    const server = await serverWithPipeline(sleeper('30'), {}, ctx)
    const { pid, runId } = await midStep(ctx, server)
    await killDaemon(pid)

    const s = await waitFor(async () => {
      const now = await status(server)
      return now.is_running && now.pid !== pid ? now : null
    }, { timeoutMs: 5000, what: 'the daemon to be restarted' })
    expect(s).toMatchObject({ current_run: null, schedule: { type: 'interval', interval_seconds: 3600 } })
    expect(s.last_run).toMatchObject({ id: runId, status: 'abandoned' })
    const run = (await listRuns(server)).find((r) => r.id === runId)!
    expect(run.status).toBe('abandoned')
    expect(run.reason).toBe('the daemon died during the run')
    expect(Date.parse(run.finished_at!)).toBeGreaterThanOrEqual(Date.parse(run.started_at))
    expect(run.duration_ms).toBe(Date.parse(run.finished_at!) - Date.parse(run.started_at))
    // Nothing is left "running", and it stays that way.
    expect((await listRuns(server)).filter((r) => r.status === 'running')).toEqual([])
    killTreeAtEnd(readState(server)!.instance_id, ctx)
  })

  it('stays stopped and marks the run abandoned - stopped while its killed daemon was down', async (ctx) => {
    const server = await serverWithPipeline(sleeper('30'), {}, ctx)
    const { pid, runId } = await midStep(ctx, server)
    await killDaemon(pid)

    // Either the stop comes first (nothing runs it: 409) or the restart does (200): both leave it stopped.
    const res = await call(server.url, 'POST', '/api/cron/stop')
    expect([200, 409], res.text).toContain(res.status)
    // No restart brings it back: it reads stopped throughout the restart window.
    for (const until = Date.now() + 1500; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      expect(await status(server)).toMatchObject({ is_running: false, pid: null })
    }
    const run = (await listRuns(server)).find((r) => r.id === runId)!
    expect(run).toMatchObject({ status: 'abandoned', reason: 'the daemon died during the run' })
    expect(pidsWithEnv('PIPELINE_CRON_INSTANCE', readState(server)?.instance_id ?? 'none')).toEqual([])
  })
})

describe.concurrent('stop modes', () => {
  it('lets the current run finish and answers survivors [] - {"mode": "drain"}', async (ctx) => {
    const server = await serverWithPipeline(sleeper('2'), {}, ctx)
    const { pid, runId, instance } = await midStep(ctx, server)
    const res = await call(server.url, 'POST', '/api/cron/stop', { json: { mode: 'drain' } })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ success: true, message: 'Daemon stopped successfully', survivors: [], forced: false })

    // The stop answered after the run was over: its record is already final.
    const run = (await listRuns(server)).find((r) => r.id === runId)!
    expect(run.status).toBe('success')
    expect(run.steps).toEqual([expect.objectContaining({ name: 'nap', status: 'success', exit_code: 0, signal: null })])
    expect(run.steps[0]!.duration_ms).toBeGreaterThanOrEqual(1500)
    expect(isAlive(pid)).toBe(false)
    expect(pidsWithEnv('PIPELINE_CRON_INSTANCE', instance)).toEqual([])
    const log = logText(server)
    expect(log).toContain('Stop requested (drain): waiting for the current run to finish')
    expect(log).toMatch(/\[1\/1\] nap finished: exit 0 in /)
    expect(log.indexOf('Pipeline execution finished: success')).toBeLessThan(log.indexOf(`Daemon stopped (PID: ${pid})`))
    expect((await status(server)).is_running).toBe(false)
  })

  it('cancels the current run and answers survivors [] - no body (default cancel)', async (ctx) => {
    const server = await serverWithPipeline(sleeper('30'), {}, ctx)
    const { pid, runId, instance } = await midStep(ctx, server)
    const res = await call(server.url, 'POST', '/api/cron/stop')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ success: true, message: 'Daemon stopped successfully', survivors: [], forced: false })

    const run = (await listRuns(server)).find((r) => r.id === runId)!
    expect(run.status).toBe('cancelled')
    expect(run.steps).toEqual([expect.objectContaining({ name: 'nap', status: 'cancelled' })])
    expect(run.steps[0]!.duration_ms).toBeLessThan(10_000)
    expect(isAlive(pid)).toBe(false)
    expect(pidsWithEnv('PIPELINE_CRON_INSTANCE', instance)).toEqual([])
    expect(logText(server)).toMatch(/\[1\/1\] nap cancelled in /)
    expect(logText(server)).toContain('Pipeline execution finished: cancelled')
  })

  it('cancels the current run - {"mode": "cancel"}', async (ctx) => {
    const server = await serverWithPipeline(sleeper('30'), {}, ctx)
    const { runId } = await midStep(ctx, server)
    const res = await call(server.url, 'POST', '/api/cron/stop', { json: { mode: 'cancel' } })
    expect(res.status, res.text).toBe(200)
    expect(res.body.survivors).toEqual([])
    await waitForRuns(server, (r) => r.find((x) => x.id === runId)?.status === 'cancelled', 'the run to be cancelled', 1000)
  })
})
