/**
 * The window between "the run's record is final" and "the daemon cleared current_run": status
 * and run-now must already treat the run as over (issue 4.3 / 4.4), with fake primitives.
 */
import { describe, expect, it } from 'vitest'
import { createController } from '../../src/controller.js'
import type { CurrentRun, DaemonState, RunRecord } from '../../src/ports.js'
import { createFakeLauncher } from '../fakes/launcher.js'
import { createFakeProcessTable } from '../fakes/process-table.js'
import { createMemoryRunHistory } from '../fakes/run-history.js'
import { createMemoryStateStore } from '../fakes/state-store.js'

const RUN: CurrentRun = { id: 'r1', trigger: 'schedule', started_at: '2025-12-26T10:00:00.000Z', step: 'a', index: 1, total: 1, step_started_at: '2025-12-26T10:00:00.000Z' }

function record(status: RunRecord['status']): RunRecord {
  const final = status !== 'running'
  return {
    id: 'r1',
    instance_id: 'inst',
    trigger: 'schedule',
    status,
    scheduled_at: null,
    started_at: RUN.started_at,
    finished_at: final ? '2025-12-26T10:00:01.000Z' : null,
    duration_ms: final ? 1000 : null,
    steps: [],
  }
}

async function setup(currentRun: CurrentRun | null) {
  const table = createFakeProcessTable()
  const state = createMemoryStateStore()
  const runs = createMemoryRunHistory()
  const daemon = table.addOurs('inst')
  const s: DaemonState = {
    pid: daemon.pid,
    instance_id: 'inst',
    runtime: 'fake',
    started_at: '2025-12-26T10:00:00.000Z',
    schedule: { type: 'interval', interval_seconds: 60 },
    run_immediately: true,
    pipeline_file: 'pipeline.json',
    next_run_at: '2025-12-26T10:01:00.000Z',
    current_run: currentRun,
    stopping: null,
  }
  await state.create(s)
  const controller = createController({
    state,
    procs: table.procs,
    launcher: createFakeLauncher({ table, state }),
    runs,
    checkPipeline: async () => undefined,
    graceMs: 20,
    pollMs: 1,
  })
  return { table, state, runs, daemon, controller, s }
}

describe('controller: a finished run still in the state', () => {
  it('reports current_run null and the run as last_run - record final, state not yet cleared', async () => {
    const t = await setup(RUN)
    await t.runs.append(record('running'))
    await t.runs.append(record('success'))
    const st = await t.controller.status()
    expect(st.current_run).toBeNull()
    expect(st.last_run).toMatchObject({ id: 'r1', status: 'success' })
  })

  it('reports the run as current - record still running', async () => {
    const t = await setup(RUN)
    await t.runs.append(record('running'))
    expect((await t.controller.status()).current_run).toEqual(RUN)
  })

  it('answers busy - record still running', async () => {
    const t = await setup(RUN)
    await t.runs.append(record('running'))
    expect(await t.controller.runNow()).toEqual({ ok: false, reason: 'busy', detail: 'A run is in progress (r1)' })
    expect(t.table.signalsTo(t.daemon.pid)).toEqual([])
  })

  it('waits for the daemon to clear the run, then signals it - record final, state cleared a moment later', async () => {
    const t = await setup(RUN)
    await t.runs.append(record('success'))
    setTimeout(() => void t.state.write({ ...t.s, current_run: null }), 30)
    // The daemon answers SIGUSR2 with a manual run, as the real one does.
    t.daemon.onSignal = (signal) => {
      if (signal !== 'SIGUSR2') return
      void t.state.write({ ...t.s, current_run: { ...RUN, id: 'r2', trigger: 'manual' } })
    }
    expect(await t.controller.runNow()).toEqual({ ok: true, runId: 'r2' })
    expect(t.table.signalsTo(t.daemon.pid)).toEqual(['SIGUSR2'])
  })
})
