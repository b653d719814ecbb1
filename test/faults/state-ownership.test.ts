/**
 * The files of a running daemon removed or replaced under it. The API finds the daemon through
 * its control socket and keeps its state in memory, so a removed or planted state file changes
 * nothing it reports; the daemon takes back its claim and its socket when they are removed; and a
 * start never gives two daemons on one state dir.
 */
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { call, daemonPidsOf, expectError, fixture, isAlive, readState, serverWithPipeline, startDaemon, treeOf, waitFor, waitForFile, writeState, type TestServer } from '../helpers/real-server.js'
import { secondServer } from './support.js'

/** One step that sleeps a minute and writes its pid to DIR/step.pid. */
const sleeper = (dir: string) => ({ name: 'long', steps: [{ name: 'nap', run: fixture('sleep.mjs', '60', join(dir, 'step.pid')) }] })

/** A daemon in the middle of its step: its pid, instance id and the step's pid. */
async function midStep(server: TestServer) {
  const daemon = await startDaemon(server, { interval_seconds: 3600 })
  const step = Number(await waitForFile(join(server.dir, 'step.pid')))
  expect(treeOf(daemon.instanceId)).toContain(step)
  return { ...daemon, step }
}

async function status(server: TestServer) {
  return (await call(server.url, 'GET', '/api/cron/status')).body
}

describe('state files lost while the daemon runs', () => {
  it('still reports the same daemon, refuses a second and stops it with its step - state.json removed mid-step', async () => {
    const server = await serverWithPipeline(sleeper)
    const old = await midStep(server)
    rmSync(join(server.stateDir, 'state.json'))

    expect(await status(server)).toMatchObject({ is_running: true, pid: old.pid, current_run: { step: 'nap' } })
    expectError(await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } }), 409, new RegExp(`PID: ${old.pid}`))
    expect(daemonPidsOf(server.stateDir)).toEqual([old.pid])
    // The daemon writes its state again at its next change (here: the run-now refused, then the stop).
    const stop = await call(server.url, 'POST', '/api/cron/stop')
    expect(stop.status, stop.text).toBe(200)
    expect(isAlive(old.pid)).toBe(false)
    expect(isAlive(old.step)).toBe(false)
    expect(treeOf(old.instanceId)).toEqual([])
    expect(daemonPidsOf(server.stateDir)).toEqual([])
  })

  it('still reports its own state and stops the real daemon - state.json replaced by one naming another instance and pid', async () => {
    const server = await serverWithPipeline(sleeper)
    const old = await midStep(server)
    writeState(server, process.pid, { instance_id: 'planted' })

    expect(await status(server)).toMatchObject({ is_running: true, pid: old.pid })
    expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
    expect(isAlive(old.pid)).toBe(false)
    expect(isAlive(old.step)).toBe(false)
    // The test runner, named by the planted file, was never signalled: it is still here.
    expect(isAlive(process.pid)).toBe(true)
  })

  it('is found by a new server and never doubled - daemon.json and daemon.sock removed, then a new server starts', async () => {
    const server = await serverWithPipeline(sleeper)
    const old = await midStep(server)
    rmSync(join(server.stateDir, 'daemon.json'))
    rmSync(join(server.stateDir, 'daemon.sock'))

    // The daemon checks its claim and its socket every second and takes them back.
    await waitFor(() => {
      try {
        return JSON.parse(readFileSync(join(server.stateDir, 'daemon.json'), 'utf8')).pid === old.pid
      } catch {
        return false
      }
    }, { timeoutMs: 5000, what: 'the daemon to claim the state dir again' })
    const other = await secondServer(server)
    const seen = await waitFor(async () => {
      const s = await status(other)
      return s.is_running ? s : null
    }, { timeoutMs: 5000, what: 'the new server to see the daemon' })
    expect(seen.pid).toBe(old.pid)
    expectError(await call(other.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } }), 409)
    expect(daemonPidsOf(server.stateDir)).toEqual([old.pid])
    expect((await call(other.url, 'POST', '/api/cron/stop')).status).toBe(200)
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    expect(treeOf(old.instanceId)).toEqual([])
  })

  it('refuses a second daemon and force-stops the frozen one with its step - daemon SIGSTOPped, state.json removed', async () => {
    const server = await serverWithPipeline(sleeper)
    const old = await midStep(server)
    process.kill(old.pid, 'SIGSTOP')
    rmSync(join(server.stateDir, 'state.json'))

    expectError(await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } }), 409)
    expect(daemonPidsOf(server.stateDir)).toEqual([old.pid])
    const stop = await call(server.url, 'POST', '/api/cron/stop')
    expect(stop.status, stop.text).toBe(200)
    expect(stop.body).toMatchObject({ forced: true })
    await waitFor(() => !isAlive(old.pid) && !isAlive(old.step), { what: 'the frozen daemon and its step to be gone' })
    expect(readState(server)).toBeNull()
    const run = (await call(server.url, 'GET', '/api/cron/runs')).body.runs.find((r: any) => r.instance_id === old.instanceId)
    expect(run).toMatchObject({ status: 'abandoned' })
  }, 30_000)
})
