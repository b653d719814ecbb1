/**
 * The in-process daemon the fast layer relies on (test/fakes/daemon.ts) behaves as a process does
 * when it is killed or frozen: tests of restarts and forced stops only mean something if it does.
 */
import { afterEach, expect, it } from 'vitest'
import { daemonClaimPath, statePath } from '../../adapters/posix/state-paths.js'
import { createDaemonLink, type DaemonInfo } from '../../src/control/daemon-link.js'
import { homeOf } from '../../src/control/homes.js'
import { daemonClaimSchema, pipelineStateFileSchema, type DaemonSettings, type DesiredState } from '../../src/daemon/protocol.js'
import { memoryDaemon } from '../fakes/daemon.js'
import { createFakeLauncher } from '../fakes/launcher.js'
import { createMemoryMachine, killAll, type MemoryMachine } from '../fakes/machine.js'
import { waitFor } from '../helpers/wait.js'

const SETTINGS: DaemonSettings = { instance_id: 'daemon-1', runtime: 'memory', state_dir: '/state', log_max_bytes: 1_000_000, log_keep: 5, grace_ms: 50, runs_keep: 100, drain_timeout_ms: 60_000 }

let machine: MemoryMachine | null = null
afterEach(async () => {
  if (machine) await killAll(machine)
  machine = null
})

/** A daemon running the default pipeline, its step hanging, reached through a daemon link. */
async function running() {
  const m = (machine = createMemoryMachine({ scripts: { extract: { hang: true } } }))
  const daemon = await createFakeLauncher(m.table, memoryDaemon(m), { registry: m.launches }).launch(SETTINGS)
  const link = createDaemonLink(m.channel)
  const down: DaemonInfo[] = []
  link.onDown((info) => down.push(info))
  await waitFor(() => link.connect(true), { what: 'the daemon to listen' })
  const home = homeOf('default', m.fileOf('default'), m.layout)
  const at = new Date().toISOString()
  const desired: DesiredState = { state: 'started', home, schedule: { type: 'interval', interval_seconds: 60 }, run_immediately: true, anchor: at, paused: false, updated_at: at }
  expect(await link.ask({ op: 'start', desired }, 5000)).toMatchObject({ ok: true })
  const step = await waitFor(() => m.runner.spawned[0])
  const claim = m.disk.jsonFile(daemonClaimPath('/state'), daemonClaimSchema)
  const state = m.disk.jsonFile(statePath(home.dir), pipelineStateFileSchema)
  return { m, daemon, link, down, step, claim, state, log: m.logFile(home.log_file), records: m.runRecords(home.dir) }
}

it('leaves its claim, its state file, its step and its running run as they were, and writes no more - SIGKILL during a run', async () => {
  const t = await running()
  const logged = t.log.text
  t.m.table.procs.signal(t.daemon.pid, 'SIGKILL')
  await t.m.launches[0]!.settled
  expect(await t.daemon.exited).toEqual({ code: null, stderr: '' })
  expect(t.down).toEqual([expect.objectContaining({ pid: t.daemon.pid, instance_id: 'daemon-1' })])
  expect(await t.m.channel.connect()).toBeNull()
  expect((await t.claim.read()).value).toMatchObject({ pid: t.daemon.pid })
  expect((await t.state.read()).value).toMatchObject({ pid: t.daemon.pid, current_run: { step: 'extract' } })
  expect(t.m.table.isAlive(t.step.pid)).toBe(true)
  expect(t.records.at(-1)).toMatchObject({ status: 'running' })
  expect(t.log.text).toBe(logged)
  expect(t.m.table.signals.map((s) => s.signal)).toEqual(['SIGKILL'])
  expect(t.step.signals).toEqual([])
})

it('stays ours but answers nothing, until it is killed - SIGSTOP', async () => {
  const t = await running()
  t.m.table.procs.signal(t.daemon.pid, 'SIGSTOP')
  expect(await t.link.ask({ op: 'run', pipeline: 'default' }, 50)).toBeNull()
  expect(await t.m.table.procs.identify(t.daemon.pid, 'daemon-1')).toBe('ours')
  expect(await t.m.channel.connect()).not.toBeNull()
  expect(t.down).toEqual([])
  t.m.table.procs.signal(t.daemon.pid, 'SIGKILL')
  await waitFor(() => t.down.length === 1, { what: 'the connection to drop' })
  expect(t.m.table.isAlive(t.step.pid)).toBe(true)
  expect(t.step.signals).toEqual([])
})
