import { createApp, type AppOptions } from '../../src/app.js'
import { createController, type ControllerOptions } from '../../src/controller.js'
import { createDaemon } from '../../src/daemon.js'
import type { Pipeline } from '../../src/pipeline.js'
import type { CronController, RunHistory } from '../../src/ports.js'
import { createFakeLauncher, type FakeDaemon, type FakeLauncher } from './launcher.js'
import { createMemoryLogFile, createMemoryLogStore, createMemoryLogWriter, type MemoryLogFile } from './log-store.js'
import { createFakeProcessTable, type FakeProcessTable } from './process-table.js'
import { createMemoryRunHistory } from './run-history.js'
import { createFakeRunner, type FakeRunner, type FakeScript } from './runner.js'
import { createMemoryStateStore } from './state-store.js'

/**
 * A fake daemon that runs the REAL scheduling loop (src/daemon.ts) over the in-memory ports:
 * SIGTERM/SIGINT cancel, SIGQUIT drains, SIGUSR2 runs now, as adapters/node/daemon-main.ts does.
 */
export function realDaemon(o: { pipeline: Pipeline; runner: FakeRunner; logFile: MemoryLogFile; runs: RunHistory; table: FakeProcessTable; graceMs: number }): FakeDaemon {
  return async (ctx) => {
    const daemon = createDaemon({
      instanceId: ctx.instanceId,
      pid: ctx.pid,
      runtime: 'memory',
      schedule: ctx.schedule,
      runImmediately: ctx.runImmediately,
      pipeline: o.pipeline,
      pipelineFile: '/pipelines/pipeline.json',
      pipelineDir: '/pipelines',
      runner: o.runner,
      procs: o.table.procs,
      log: createMemoryLogWriter(o.logFile),
      runs: o.runs,
      state: ctx.state,
      env: { PATH: '/usr/bin' },
      graceMs: o.graceMs,
    })
    ctx.process.onSignal = (signal) => {
      if (signal === 'SIGTERM' || signal === 'SIGINT') void daemon.stop('cancel')
      else if (signal === 'SIGQUIT') void daemon.stop('drain')
      else if (signal === 'SIGUSR2') daemon.runNow()
    }
    if (!(await daemon.start())) return ctx.exit(1, 'another daemon already holds the state file\n')
    await daemon.stopped
    ctx.exit(0)
  }
}

export interface MemorySystemOptions {
  pipeline?: Pipeline
  /** Scripts for the steps' commands (see createFakeRunner). */
  scripts?: Record<string, FakeScript>
  /** Replaces the real daemon loop (e.g. `failsAtStart(...)`). */
  daemon?: FakeDaemon
  minIntervalSeconds?: number
  /** Size of the chunks the LogStore's readAll yields (small values exercise split lines). */
  logChunkSize?: number
  token?: string | null
  readToken?: string | null
  controller?: Partial<ControllerOptions>
  app?: Partial<AppOptions>
}

export interface MemorySystem {
  app: ReturnType<typeof createApp>
  controller: CronController
  table: FakeProcessTable
  state: ReturnType<typeof createMemoryStateStore>
  runs: ReturnType<typeof createMemoryRunHistory>
  logFile: MemoryLogFile
  runner: FakeRunner
  launcher: FakeLauncher
  unexpected: unknown[]
  /** Stops a daemon that is still running, so no fake timer outlives the test. */
  shutdown(): Promise<void>
}

export const DEFAULT_PIPELINE: Pipeline = {
  name: 'test-pipeline',
  steps: [
    { name: 'extract', run: 'extract' },
    { name: 'transform', run: ['node', 'transform.js'] },
    { name: 'load', run: 'load' },
  ],
}

/** The whole app over in-memory ports, with the REAL controller and the REAL daemon loop. */
export function createMemorySystem(o: MemorySystemOptions = {}): MemorySystem {
  const table = createFakeProcessTable()
  const state = createMemoryStateStore({ isAlive: () => true })
  const runs = createMemoryRunHistory()
  const logFile = createMemoryLogFile()
  const runner = createFakeRunner(o.scripts ?? {}, { table })
  const graceMs = 50
  const daemon = o.daemon ?? realDaemon({ pipeline: o.pipeline ?? DEFAULT_PIPELINE, runner, logFile, runs, table, graceMs })
  const launcher = createFakeLauncher({ table, state, daemon })
  const controller = createController({
    state,
    procs: table.procs,
    launcher,
    runs,
    checkPipeline: async () => undefined,
    graceMs,
    stopSlackMs: 200,
    startTimeoutMs: 500,
    pollMs: 1,
    ...o.controller,
  })
  const unexpected: unknown[] = []
  const app = createApp({
    controller,
    logs: createMemoryLogStore(logFile, o.logChunkSize),
    runs,
    minIntervalSeconds: o.minIntervalSeconds ?? 10,
    token: o.token ?? null,
    readToken: o.readToken ?? null,
    onUnexpectedError: (err) => unexpected.push(err),
    ...o.app,
  })
  return {
    app,
    controller,
    table,
    state,
    runs,
    logFile,
    runner,
    launcher,
    unexpected,
    async shutdown() {
      const read = await state.read()
      if (read.state && table.isAlive(read.state.pid)) await controller.stop('cancel')
    },
  }
}
