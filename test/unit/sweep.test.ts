/** sweepTagged (src/daemon/sweep.ts) over the fake process table: freeze, kill, scan again. */
import { describe, expect, it } from 'vitest'
import { sweepTagged } from '../../src/daemon/sweep.js'
import { createFakeProcessTable } from '../fakes/process-table.js'

describe('sweepTagged', () => {
  it('freezes every tagged process before it kills any - two processes of the tree', async () => {
    const table = createFakeProcessTable()
    const a = table.spawn({ tag: 'inst', onSignal: () => undefined })
    const b = table.spawn({ tag: 'inst', onSignal: () => undefined })
    expect(await sweepTagged(table.procs, 'inst', { pauseMs: 0 })).toEqual({ killed: [a.pid, b.pid], survivors: [] })
    expect(table.signals.map((s) => [s.pid, s.signal])).toEqual([
      [a.pid, 'SIGSTOP'],
      [b.pid, 'SIGSTOP'],
      [a.pid, 'SIGKILL'],
      [b.pid, 'SIGKILL'],
    ])
  })

  it('kills what appeared since the last scan - a process that forks once as it is frozen', async () => {
    const table = createFakeProcessTable()
    let child: number | null = null
    const parent = table.spawn({
      tag: 'inst',
      onSignal: (signal) => {
        if (signal === 'SIGSTOP' && child === null) child = table.spawn({ tag: 'inst', onSignal: () => undefined }).pid
      },
    })
    expect(await sweepTagged(table.procs, 'inst', { pauseMs: 0 })).toEqual({ killed: [parent.pid, child], survivors: [] })
    expect(table.alive()).toEqual([])
  })

  it('answers what is still there after the last round - a process SIGKILL cannot end', async () => {
    const table = createFakeProcessTable()
    const stuck = table.spawn({ tag: 'inst', unkillable: true })
    expect(await sweepTagged(table.procs, 'inst', { rounds: 3, pauseMs: 0 })).toEqual({ killed: [], survivors: [stuck.pid] })
    expect(table.signalsTo(stuck.pid)).toEqual(['SIGSTOP', 'SIGKILL', 'SIGSTOP', 'SIGKILL', 'SIGSTOP', 'SIGKILL'])
  })

  it('signals nothing else - untagged, other tags and excluded pids', async () => {
    const table = createFakeProcessTable()
    const mine = table.spawn({ tag: 'inst' })
    const spared = table.spawn({ tag: 'inst' })
    table.spawn({ tag: 'other' })
    table.spawn()
    expect(await sweepTagged(table.procs, 'inst', { exclude: [spared.pid], pauseMs: 0 })).toEqual({ killed: [mine.pid], survivors: [] })
    expect(table.signals.map((s) => s.pid)).toEqual([mine.pid, mine.pid])
  })
})
