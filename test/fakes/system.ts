import { desiredPath, runsDir, statePath } from '../../adapters/posix/state-paths.js'
import { createApp, type AppSettings } from '../../src/app.js'
import { createCatalog, type PipelineDefinition } from '../../src/control/catalog.js'
import { createDaemonLink, type DaemonLink } from '../../src/control/daemon-link.js'
import { DEFAULT_PIPELINE as DEFAULT_NAME, homeOf } from '../../src/control/homes.js'
import { createKeeper, type Keeper, type KeeperOptions } from '../../src/control/keeper.js'
import { createLocalController, type LocalControllerOptions } from '../../src/control/local-controller.js'
import { reconcilePipeline } from '../../src/control/reconcile.js'
import type { DesiredState, PipelineHome, PipelineStateFile } from '../../src/daemon/protocol.js'
import { desiredStateSchema, pipelineStateFileSchema } from '../../src/daemon/protocol.js'
import { formatLine } from '../../src/log-line.js'
import type { Pipeline } from '../../src/pipeline.js'
import type { CronController, JsonFile, LogStore } from '../../src/ports.js'
import { memoryDaemon, type MemoryDaemonOptions } from './daemon.js'
import { createFakeLauncher, type FakeDaemon, type FakeLauncher } from './launcher.js'
import { createMemoryLock } from './lock.js'
import { createMemoryLogStore, type MemoryLogFile } from './log-store.js'
import { createMemoryMachine, DEFAULT_PIPELINE, killAll, type MemoryMachine, type MemoryMachineOptions } from './machine.js'
import type { FakeProcessTable } from './process-table.js'
import { createMemoryRunHistory } from './run-history.js'
import type { FakeRunner } from './runner.js'

export { DEFAULT_PIPELINE } from './machine.js'

export interface MemorySystemOptions {
  /** The `default` pipeline (DEFAULT_PIPELINE unless given). */
  pipeline?: Pipeline
  /** Several pipelines by name instead; `default` is among them only when named so. */
  pipelines?: Record<string, Pipeline>
  /** Scripts for the steps' commands (see createFakeRunner). */
  scripts?: MemoryMachineOptions['scripts']
  /** Another system's machine: this one is a second API server on the same state dir (or that server after a restart). */
  machine?: MemoryMachine
  /** Replaces the real daemon (e.g. `failsAtStart(...)`). */
  daemon?: FakeDaemon
  daemonOptions?: MemoryDaemonOptions
  minIntervalSeconds?: number
  /** Size of the chunks the LogStore's readAll yields (small values exercise split lines). */
  logChunkSize?: number
  token?: string | null
  readToken?: string | null
  /** Replaces the default pipeline's LogStore (e.g. the file store). */
  logs?: LogStore
  controller?: Partial<Pick<LocalControllerOptions, 'graceMs' | 'drainTimeoutMs' | 'answerTimeoutMs' | 'now' | 'sleep'>>
  keeper?: Partial<Pick<KeeperOptions, 'resume' | 'maxRestarts' | 'windowMs' | 'startTimeoutMs' | 'now' | 'sleep' | 'pollMs'>>
  app?: Partial<AppSettings>
}

/** One pipeline as this server sees it: its routes' ports and its files. */
export interface MemoryPipeline {
  name: string
  home: PipelineHome
  controller: CronController
  /** The API's handle on its run history (the daemon has its own on the same records). */
  runs: ReturnType<typeof createMemoryRunHistory>
  logs: LogStore
  logFile: MemoryLogFile
  desired: JsonFile<DesiredState>
  state: JsonFile<PipelineStateFile>
}

export interface MemorySystem {
  app: ReturnType<typeof createApp>
  machine: MemoryMachine
  /** The default pipeline's controller (without a default, the first pipeline's by name). */
  controller: CronController
  runs: MemoryPipeline['runs']
  logFile: MemoryLogFile
  desired: MemoryPipeline['desired']
  state: MemoryPipeline['state']
  pipeline(name: string): MemoryPipeline
  table: FakeProcessTable
  runner: FakeRunner
  launcher: FakeLauncher
  link: DaemonLink
  keeper: Keeper
  /** Errors the app reported as unexpected (the client saw a generic 500). */
  unexpected: unknown[]
  /** What the server does at start: connect to the daemon, or resume (or clean up) what was running. */
  init(): Promise<void>
  /** This server exits; the daemon, detached, runs on. */
  close(): void
  /** Ends this server and every daemon and step on its machine, so no timer outlives the test. */
  shutdown(): Promise<void>
}

/**
 * The whole app over a memory machine, with the REAL catalog, daemon link, keeper and local
 * controllers, and a daemon that runs the REAL supervisor and schedulers (test/fakes/daemon.ts).
 */
export function createMemorySystem(o: MemorySystemOptions = {}): MemorySystem {
  const machine = o.machine ?? createMemoryMachine({ pipelines: o.pipelines ?? { [DEFAULT_NAME]: o.pipeline ?? DEFAULT_PIPELINE }, scripts: o.scripts })
  const { table, layout } = machine
  // This API server is a process too: the lock names it as its holder.
  const server = table.spawn()
  const lock = createMemoryLock({ backing: machine.lock, pid: server.pid, isAlive: table.isAlive })
  const link = createDaemonLink(machine.channel)
  const launcher = createFakeLauncher(table, o.daemon ?? memoryDaemon(machine, o.daemonOptions), { registry: machine.launches })
  const graceMs = o.controller?.graceMs ?? 50
  const drainTimeoutMs = o.controller?.drainTimeoutMs ?? 60_000
  const desiredOf = (dir: string) => machine.disk.jsonFile(desiredPath(dir), desiredStateSchema)
  const stateOf = (dir: string) => machine.disk.jsonFile(statePath(dir), pipelineStateFileSchema)
  const runsOf = (dir: string) => createMemoryRunHistory(machine.runRecords(runsDir(dir)))

  const keeper = createKeeper({
    link,
    launcher,
    lock,
    procs: table.procs,
    settings: { runtime: 'memory', state_dir: layout.stateDir, log_max_bytes: 50 * 1024 * 1024, log_keep: 5, grace_ms: graceMs, runs_keep: 1000, drain_timeout_ms: drainTimeoutMs },
    desiredStates: () => machine.desiredStates(),
    markStopped: (desired) => desiredOf(desired.home.dir).write({ ...desired, state: 'stopped', updated_at: new Date().toISOString() }),
    reconcile: async (desired, why) => {
      await reconcilePipeline({ state: stateOf(desired.home.dir), runs: runsOf(desired.home.dir), procs: table.procs }, why)
    },
    note: (desired, text) => void createMemoryLogStore(machine.logFile(desired.home.log_file)).append(formatLine(text, new Date())),
    pollMs: 1,
    startTimeoutMs: 1000,
    ...o.keeper,
  })

  const handles = new Map<string, MemoryPipeline>()
  const pipeline = (name: string): MemoryPipeline => {
    const known = handles.get(name)
    if (known) return known
    const home = homeOf(name, machine.fileOf(name), layout)
    const runs = runsOf(home.dir)
    const desired = desiredOf(home.dir)
    const state = stateOf(home.dir)
    const logFile = machine.logFile(home.log_file)
    const controller = createLocalController({
      home,
      link,
      keeper,
      lock,
      procs: table.procs,
      desired,
      state,
      runs,
      loadPipeline: async () => machine.loadPipeline(home.file),
      graceMs,
      drainTimeoutMs,
      ...o.controller,
    })
    const logs = name === DEFAULT_NAME && o.logs ? o.logs : createMemoryLogStore(logFile, o.logChunkSize)
    const handle: MemoryPipeline = { name, home, controller, runs, logs, logFile, desired, state }
    handles.set(name, handle)
    return handle
  }

  const definitions = async (): Promise<PipelineDefinition[]> =>
    [...machine.pipelineFiles.entries()]
      .map(([file, p]) => ({ name: nameOf(file, machine), file, steps: p.steps.length, error: null }))
      .sort((a, b) => a.name.localeCompare(b.name))
  const names = [...machine.pipelineFiles.keys()].map((file) => nameOf(file, machine)).sort()
  // As the server chooses: `default` when it exists, else the only pipeline, else none.
  const defaultName = names.includes(DEFAULT_NAME) ? DEFAULT_NAME : names.length === 1 ? names[0]! : null
  const catalog = createCatalog({ source: { list: definitions }, open: (definition) => pipeline(definition.name), defaultName })
  const main = pipeline(defaultName ?? names[0]!)

  function close() {
    keeper.close()
    link.close()
    server.exit(0)
  }

  const unexpected: unknown[] = []
  const app = createApp({
    pipelines: catalog,
    daemonMetrics: () => ({ restarts: keeper.restarts(), crashLoop: keeper.crashLoop() !== null }),
    minIntervalSeconds: o.minIntervalSeconds ?? 10,
    token: o.token ?? null,
    readToken: o.readToken ?? null,
    onUnexpectedError: (err) => unexpected.push(err),
    ...o.app,
  })

  return {
    app,
    machine,
    controller: main.controller,
    runs: main.runs,
    logFile: main.logFile,
    desired: main.desired,
    state: main.state,
    pipeline,
    table,
    runner: machine.runner,
    launcher,
    link,
    keeper,
    unexpected,
    init: () => keeper.init(),
    close,
    async shutdown() {
      close()
      await killAll(machine)
    },
  }
}

function nameOf(file: string, machine: MemoryMachine): string {
  if (file === machine.fileOf(DEFAULT_NAME)) return DEFAULT_NAME
  return file.slice(file.lastIndexOf('/') + 1, -'.json'.length)
}
