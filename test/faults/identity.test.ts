/**
 * Pid reuse: a state file whose pid now belongs to someone else. Status, stop, run-now and
 * start must never signal it, whatever its command line looks like, and even when it is the
 * test runner itself.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { call, daemonPidsOf, expectError, fixture, isAlive, readState, serverForTest, spawnForeign, startDaemon, waitFor, waitForFile, writeState, type TestServer } from '../helpers/real-server.js'
import { faultFixture } from './support.js'

const pipeline = { name: 'quick', steps: [{ name: 'hello', run: fixture('print-lines.mjs', '1') }] }

/** Every way the API could signal the pid in state.json: status, run-now, stop, then a start. */
async function pokeEverything(server: TestServer) {
  const status = await call(server.url, 'GET', '/api/cron/status')
  expect(status.status).toBe(200)
  expect(status.body).toMatchObject({ is_running: false, pid: null })
  expectError(await call(server.url, 'POST', '/api/cron/run'), 409)
  expectError(await call(server.url, 'POST', '/api/cron/stop'), 409)
  expectError(await call(server.url, 'POST', '/api/cron/stop', { json: { mode: 'drain' } }), 409)
}

describe('pid reuse', () => {
  it('never signals it and starts a real daemon - state names a foreign live process, even one whose command line looks like a daemon', async () => {
    const server = await serverForTest({ pipeline })
    const dir = server.dir
    const decoys: [string, string[]][] = [
      ['plain', []],
      // Looks like one of our daemons, for the same state dir, but another instance.
      ['look-alike', [`--instance=00000000-0000-4000-8000-000000000000`, `--state-dir=${server.stateDir}`]],
      // The instance id in the state is a prefix of this one: only an exact match is ours.
      ['prefix', ['--instance=made-up-prefix-and-more']],
    ]
    const decoyPids: number[] = []
    for (const [name, extra] of decoys) {
      const signals = join(dir, `${name}.signals`)
      const child = spawnForeign(faultFixture('signal-recorder.mjs', join(dir, `${name}.pid`), signals, '60', ...extra), { detached: true })
      const pid = Number(await waitForFile(join(dir, `${name}.pid`)))
      expect(pid).toBe(child.pid)
      decoyPids.push(pid)
      const instance_id = name === 'prefix' ? 'made-up-prefix' : `made-up-${name}`
      writeState(server, pid, { instance_id, current_run: { id: 'r', trigger: 'schedule', started_at: new Date().toISOString(), step: 'x', index: 1, total: 1, step_started_at: null } })
      await pokeEverything(server)
      expect(readState(server), 'the stale state is cleaned').toBeNull()
      // A start over the stale state (not cleaned by a status first) replaces it.
      writeState(server, pid, { instance_id })
    }
    const daemon = await startDaemon(server)
    expect(decoyPids).not.toContain(daemon.pid)
    expect((await call(server.url, 'GET', '/api/cron/status')).body).toMatchObject({ is_running: true, pid: daemon.pid })
    expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
    for (const [i, [name]] of decoys.entries()) {
      const signals = join(dir, `${name}.signals`)
      expect(isAlive(decoyPids[i]!), `${name} decoy still alive`).toBe(true)
      expect(existsSync(signals) ? readFileSync(signals, 'utf8') : '', `${name} decoy got signals`).toBe('')
    }
    expect(daemonPidsOf(server.stateDir).filter((p) => !decoyPids.includes(p))).toEqual([])
  })

  describe('the test runner itself', () => {
    const got: string[] = []
    const record = (sig: string) => () => got.push(sig)
    const handlers = ['SIGTERM', 'SIGQUIT', 'SIGUSR2', 'SIGINT', 'SIGHUP'].map((s) => [s, record(s)] as const)
    afterEach(() => {
      for (const [s, h] of handlers) process.off(s, h)
    })

    it('never signals it - state names the test runner pid (and pid 1, and its group)', async () => {
      for (const [s, h] of handlers) process.on(s, h)
      const server = await serverForTest({ pipeline })
      for (const pid of [1, process.ppid, process.pid]) {
        writeState(server, pid)
        await pokeEverything(server)
      }
      writeState(server, process.pid)
      await startDaemon(server)
      expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
      // Signals are delivered asynchronously: give a stray one a moment to arrive.
      await expect(waitFor(() => got.length > 0, { timeoutMs: 300 })).rejects.toThrow(/timed out/)
      expect(got).toEqual([])
    })
  })
})
