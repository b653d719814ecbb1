/**
 * Identity: a state file naming a dead pid, a foreign pid or garbage reads as not running, is
 * cleaned, and is never signalled; a daemon killed mid-run is restarted, and its run ends up `abandoned`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { call, daemonPidsOf, expectError, fixture, isAlive, serverForTest, serverWithPipeline, spawnForeign, startDaemon, treeOf, waitFor, waitForFile, writeState } from '../helpers/real-server.js'
import { quickPipeline } from './support.js'



describe('stale state', () => {
  it('restarts the daemon within 5 s with the same schedule, marks the cut-off run abandoned and ends its step - daemon killed with SIGKILL', async () => {
    const server = await serverWithPipeline((dir) => ({
      name: 'slow',
      steps: [{ name: 'nap', run: fixture('sleep.mjs', '60', join(dir, 'nap.pid')) }],
    }))
    const { instanceId } = await startDaemon(server)
    const napPid = Number(await waitForFile(join(server.dir, 'nap.pid')))
    const running = await waitFor(async () => {
      const runs = (await call(server.url, 'GET', '/api/cron/runs')).body.runs
      return runs[0]?.status === 'running' ? runs[0] : null
    }, { what: 'the run to be recorded as running' })

    const pid = (await call(server.url, 'GET', '/api/cron/status')).body.pid as number
    const killedAt = Date.now()
    process.kill(pid, 'SIGKILL')
    await waitFor(() => !isAlive(pid), { what: 'the daemon to die' })

    const back = await waitFor(async () => {
      const status = (await call(server.url, 'GET', '/api/cron/status')).body
      return status.is_running && status.pid !== pid ? status : null
    }, { timeoutMs: 5000, what: 'the daemon to be restarted' })
    expect(Date.now() - killedAt).toBeLessThan(5000)
    // A killed daemon's pid is never reported as running; the schedule carries over.
    expect(back).toMatchObject({ is_running: true, schedule: { type: 'interval', interval_seconds: 3600 } })
    expect(daemonPidsOf(server.stateDir)).toEqual([back.pid])

    const runs = (await call(server.url, 'GET', '/api/cron/runs')).body.runs
    expect(runs.find((r: any) => r.id === running.id)).toMatchObject({ status: 'abandoned', reason: 'the daemon died during the run' })
    // The dead daemon's step (it still carries the old instance's marker) does not run on.
    await waitFor(() => !isAlive(napPid), { what: "the dead daemon's step to be ended" })
    expect(treeOf(instanceId)).toEqual([])
    await waitFor(() => /resumed after restart/.test(readFileSync(server.logFile, 'utf8')), { what: 'the resume line' })

    const stop = await call(server.url, 'POST', '/api/cron/stop')
    expect(stop.status, stop.text).toBe(200)
    expect(daemonPidsOf(server.stateDir)).toEqual([])
  })

  it('reads not running, starts a daemon and never signals the pid - state names a foreign live process', async () => {
    const server = await serverForTest({ pipeline: quickPipeline() })
    const foreign = spawnForeign(['sleep', '60']).pid!
    writeState(server, foreign)

    const status = await call(server.url, 'GET', '/api/cron/status')
    expect(status.body).toMatchObject({ is_running: false, pid: null })
    expectError(await call(server.url, 'POST', '/api/cron/stop'), 409)
    expect(isAlive(foreign)).toBe(true)

    writeState(server, foreign)
    const { pid } = await startDaemon(server)
    expect(pid).not.toBe(foreign)
    expect((await call(server.url, 'GET', '/api/cron/status')).body).toMatchObject({ is_running: true, pid })
    const stop = await call(server.url, 'POST', '/api/cron/stop')
    expect(stop.status, stop.text).toBe(200)
    expect(isAlive(pid)).toBe(false)
    expect(isAlive(foreign)).toBe(true)
  })

  it('reads not running and starts - state names a dead pid', async () => {
    const server = await serverForTest({ pipeline: quickPipeline() })
    const child = spawnForeign(['true'])
    await new Promise((r) => child.once('exit', r))
    writeState(server, child.pid!)
    expect((await call(server.url, 'GET', '/api/cron/status')).body).toMatchObject({ is_running: false, pid: null })
    await startDaemon(server)
  })

  it('reads not running and starts - state file is not JSON', async () => {
    const server = await serverForTest({ pipeline: quickPipeline() })
    mkdirSync(server.stateDir, { recursive: true })
    writeFileSync(join(server.stateDir, 'state.json'), '{"pid": 12')
    const status = await call(server.url, 'GET', '/api/cron/status')
    expect(status.status).toBe(200)
    expect(status.body).toMatchObject({ is_running: false, pid: null })
    await startDaemon(server)
  })
})
