/**
 * Crashes: the daemon or the API server killed with SIGKILL at the worst moment. The state is
 * cleaned or re-attached, never duplicated, and nothing of a dead daemon's tree runs on.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { call, daemonPidsOf, expectError, fixture, isAlive, logText, readState, serverWithPipeline, startDaemon, treeOf, waitFor, waitForFile, waitForLog } from '../helpers/real-server.js'
import { killAtEnd, secondServer } from './support.js'

describe('crashes', () => {
  it('restarts the daemon within 5 s, marks the run abandoned and kills the orphaned step - daemon killed with SIGKILL mid-step', async () => {
    const server = await serverWithPipeline((dir) => ({
      name: 'slow',
      steps: [
        { name: 'first', run: fixture('print-lines.mjs', '1', '0', 'first') },
        { name: 'nap', run: fixture('sleep.mjs', '60', join(dir, 'nap.pid')) },
        { name: 'never', run: fixture('print-lines.mjs', '1', '0', 'never') },
      ],
    }))
    const { pid, instanceId } = await startDaemon(server)
    const step = Number(await waitForFile(join(server.dir, 'nap.pid')))
    killAtEnd(step)
    const status = await waitFor(async () => {
      const s = (await call(server.url, 'GET', '/api/cron/status')).body
      return s.current_run?.step === 'nap' ? s : null
    }, { what: 'status to show the nap step' })
    expect(status.current_run).toMatchObject({ index: 2, total: 3 })
    const runId = status.current_run.id as string

    process.kill(pid, 'SIGKILL')
    await waitFor(() => !isAlive(pid), { what: 'the daemon to die' })
    const killedAt = Date.now()

    // A started pipeline stays started: the server brings the daemon back within 5 s.
    const after = await waitFor(async () => {
      const s = (await call(server.url, 'GET', '/api/cron/status')).body
      return s.is_running && s.pid !== pid ? s : null
    }, { timeoutMs: 5000, what: 'the daemon to be restarted' })
    expect(Date.now() - killedAt).toBeLessThan(5000)
    expect(after).toMatchObject({ is_running: true, current_run: null, schedule: { type: 'interval', interval_seconds: 3600 } })
    const run = (await call(server.url, 'GET', '/api/cron/runs')).body.runs.find((r: any) => r.id === runId)
    expect(run).toMatchObject({ status: 'abandoned', finished_at: expect.any(String) })
    expect(after.last_run).toMatchObject({ id: runId, status: 'abandoned' })
    // The orphaned step (in its own process group, so the daemon's death did not end it) is
    // killed before the new daemon runs anything: it would otherwise run on beside it.
    await waitFor(() => !isAlive(step), { timeoutMs: 3000, what: 'the orphaned step to be killed' })
    expect(treeOf(instanceId)).toEqual([])
    expect(daemonPidsOf(server.stateDir)).toEqual([after.pid])
    // The cut-off run is not run again (steps are not assumed idempotent): the next run waits for its tick.
    expect(logText(server)).not.toMatch(/never/)

    const stop = await call(server.url, 'POST', '/api/cron/stop')
    expect(stop.status, stop.text).toBe(200)
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    expectError(await call(server.url, 'POST', '/api/cron/stop'), 409)
  })

  it('re-attaches to the same daemon, never starts a second, and stops it - server killed with SIGKILL during a run, restarted on the same state dir', async () => {
    const server = await serverWithPipeline((dir) => ({
      name: 'slow',
      steps: [{ name: 'nap', run: fixture('sleep.mjs', '60', join(dir, 'nap.pid')) }],
    }))
    const { pid, instanceId } = await startDaemon(server)
    const step = Number(await waitForFile(join(server.dir, 'nap.pid')))
    killAtEnd(step)

    process.kill(server.pid, 'SIGKILL')
    await waitFor(() => !isAlive(server.pid), { what: 'the server to die' })
    // The daemon and its step are detached from the server: both run on.
    expect(isAlive(pid)).toBe(true)
    expect(isAlive(step)).toBe(true)

    const restarted = await secondServer(server)
    const status = (await call(restarted.url, 'GET', '/api/cron/status')).body
    expect(status).toMatchObject({ is_running: true, pid, current_run: { step: 'nap' } })
    const starts = await Promise.all([1, 2, 3].map(() => call(restarted.url, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })))
    for (const s of starts) expectError(s, 409, new RegExp(`PID: ${pid}`))
    expect(daemonPidsOf(server.stateDir)).toEqual([pid])

    const stop = await call(restarted.url, 'POST', '/api/cron/stop')
    expect(stop.status, stop.text).toBe(200)
    expect(stop.body).toMatchObject({ forced: false, survivors: [] })
    expect(isAlive(pid)).toBe(false)
    expect(isAlive(step)).toBe(false)
    expect(treeOf(instanceId)).toEqual([])
    expect(daemonPidsOf(server.stateDir)).toEqual([])
  })

  it('breaks the dead server\'s lock and starts once - server killed with SIGKILL while a stop holds the lock', async () => {
    const server = await serverWithPipeline(
      (dir) => ({
        name: 'deaf',
        steps: [{ name: 'deaf', run: fixture('ignore-sigterm.mjs', join(dir, 'deaf.pid')) }],
      }),
      { args: ['--stop-grace', '2'] },
    )
    const { pid, instanceId } = await startDaemon(server)
    const step = Number(await waitForFile(join(server.dir, 'deaf.pid')))
    killAtEnd(step, pid)

    // The stop waits the step's grace while holding STATE_DIR/lock; kill the server meanwhile.
    const stopping = call(server.url, 'POST', '/api/cron/stop').catch((err: Error) => err)
    await waitFor(() => existsSync(join(server.stateDir, 'lock')) && readState(server)?.stopping, { what: 'the stop to hold the lock' })
    process.kill(server.pid, 'SIGKILL')
    expect(await stopping).toBeInstanceOf(Error)
    // The daemon finishes its own stop: grace, SIGKILL to the step, state removed.
    await waitFor(() => !isAlive(pid) && !isAlive(step), { timeoutMs: 10_000, what: 'the daemon to finish stopping on its own' })
    expect(existsSync(join(server.stateDir, 'lock')), 'the dead server left its lock').toBe(true)

    const restarted = await secondServer(server)
    expect((await call(restarted.url, 'GET', '/api/cron/status')).body).toMatchObject({ is_running: false })
    const starts = await Promise.all([1, 2, 3, 4].map(() => call(restarted.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } })))
    expect(starts.filter((s) => s.status === 200), starts.map((s) => s.text).join('\n')).toHaveLength(1)
    for (const s of starts.filter((x) => x.status !== 200)) expectError(s, 409)
    expect(daemonPidsOf(server.stateDir)).toHaveLength(1)
    expect(readdirSync(server.stateDir).filter((f) => f.startsWith('lock'))).toEqual([])
    expect(treeOf(instanceId)).toEqual([])
    await waitForLog(restarted, /Daemon started/)
    expect((await call(restarted.url, 'POST', '/api/cron/stop')).status).toBe(200)
  })
})
