/** The stop sweep (src/daemon/sweep.ts) over the fake process table: chains born during scans, bounds, spared pids. */
import { describe, expect, it } from 'vitest'
import type { Signal } from '../../src/ports.js'
import { sweepTree } from '../../src/daemon/sweep.js'
import { createFakeProcessTable, forkDuringScans, type FakeProcess } from '../fakes/process-table.js'

const ID = 'inst-1'

describe('sweepTree', () => {
  it('kills every generation and reports none left - a chain that forks a successor during each of the first 3 scans', async () => {
    const table = createFakeProcessTable()
    const members = forkDuringScans(table, table.spawn({ tag: ID }), 3)
    const r = await sweepTree(table.procs, ID)
    expect(members).toHaveLength(4)
    expect(members.filter((m) => m.alive)).toEqual([])
    expect(r).toEqual({ killed: members.map((m) => m.pid), left: [] })
    expect(await table.procs.findTagged(ID)).toEqual([])
  })

  it('freezes every process found before it kills any - two members found in one scan', async () => {
    const table = createFakeProcessTable()
    const a = table.spawn({ tag: ID })
    const b = table.spawn({ tag: ID })
    // A member that, like a step trapping SIGTERM, handles signals: SIGSTOP and SIGKILL never reach the handler.
    const handled: Signal[] = []
    const c = table.spawn({ tag: ID, onSignal: (s) => handled.push(s) })
    await sweepTree(table.procs, ID)
    expect(table.signals.map((s) => [s.pid, s.signal])).toEqual([
      [a.pid, 'SIGSTOP'],
      [b.pid, 'SIGSTOP'],
      [c.pid, 'SIGSTOP'],
      [a.pid, 'SIGKILL'],
      [b.pid, 'SIGKILL'],
      [c.pid, 'SIGKILL'],
    ])
    expect(handled).toEqual([])
    expect([a, b, c].map((p) => p.alive)).toEqual([false, false, false])
  })

  it('kills the process born during the second of two empty scans - only three empty scans in a row end the sweep', async () => {
    const table = createFakeProcessTable()
    let late: FakeProcess | null = null
    let scans = 0
    table.duringScan = () => {
      if (++scans === 2) late = table.spawn({ tag: ID })
    }
    const r = await sweepTree(table.procs, ID)
    expect(late!.alive).toBe(false)
    expect(r).toEqual({ killed: [late!.pid], left: [] })
  })

  it('returns the live member as left after maxRounds instead of looping forever - a chain that forks during every scan', async () => {
    const table = createFakeProcessTable()
    const members = forkDuringScans(table, table.spawn({ tag: ID }), Infinity)
    const r = await sweepTree(table.procs, ID, { maxRounds: 20 })
    // One member killed per round; the 21st, born during the 20th scan, is what the last scan finds.
    expect(r.killed).toEqual(members.slice(0, 20).map((m) => m.pid))
    expect(r.left).toEqual([members[20]!.pid])
    expect(members[20]!.alive).toBe(true)
  })

  it('gives up at timeoutMs and reports the process - a tagged process that SIGKILL does not end (stuck in the kernel)', async () => {
    const table = createFakeProcessTable()
    const stuck = table.spawn({ tag: ID })
    const realKill = table.procs.signal
    table.procs.signal = (pid, sig) => (pid === stuck.pid ? true : realKill(pid, sig))
    let clock = 0
    const r = await sweepTree(table.procs, ID, { timeoutMs: 100, pollMs: 10, now: () => clock, sleep: async (ms) => void (clock += ms) })
    expect(r).toEqual({ killed: [], left: [stuck.pid] })
    expect(clock).toBeGreaterThanOrEqual(100)
    expect(clock).toBeLessThan(120)
  })

  it('never signals a spared pid nor a process without the marker - the daemon sweeping its own tree, a foreign process', async () => {
    const table = createFakeProcessTable()
    const daemon = table.addOurs(ID)
    const foreign = table.addForeign()
    const step = table.spawn({ tag: ID })
    const r = await sweepTree(table.procs, ID, { spare: [daemon.pid] })
    expect(r).toEqual({ killed: [step.pid], left: [] })
    expect(table.signalsTo(daemon.pid)).toEqual([])
    expect(table.signalsTo(foreign.pid)).toEqual([])
    expect(daemon.alive && foreign.alive).toBe(true)
  })
})
