/**
 * The local mode's wiring, shared by the Node and Bun servers: pipelines from files, one daemon
 * per state dir reached over its control socket, state and history in files, /proc for identity.
 * A runtime plugs in only how it spawns the daemon and reads the log.
 */
import type { Context } from 'hono'
import { join, resolve } from 'node:path'
import type { AppDeps } from '../../src/app-deps.js'
import { createCatalog, type PipelineDefinition, type PipelineHandle } from '../../src/control/catalog.js'
import { createDaemonLink, type DaemonLink } from '../../src/control/daemon-link.js'
import { DEFAULT_PIPELINE, homeOf } from '../../src/control/homes.js'
import { earlierStateSchema } from '../../src/control/earlier-daemon.js'
import { createKeeper, type Keeper } from '../../src/control/keeper.js'
import { createLocalController } from '../../src/control/local-controller.js'
import { reconcilePipeline } from '../../src/control/reconcile.js'
import type { Config } from '../../src/config.js'
import { ConfigError } from '../../src/errors.js'
import type { DesiredState } from '../../src/daemon/protocol.js'
import { desiredStateSchema, pipelineStateFileSchema } from '../../src/daemon/protocol.js'
import { formatLine } from '../../src/log-line.js'
import type { DaemonLauncher, LogStore } from '../../src/ports.js'
import { loadPipeline, resolvePipelinePath } from './pipeline-file.js'
import { linuxProcesses } from './process-control.js'
import { createFileRunHistory } from './run-history.js'
import { createControlSocket } from './control-socket.js'
import { readDesiredStates } from './daemon-process.js'
import { createJsonFile } from './json-file.js'
import { createLockFile } from './lock-file.js'
import { createPipelineFolder, type PipelineFolder } from './pipeline-folder.js'
import { controlSocketPath, desiredPath, lockPath, runsDir, statePath } from './state-paths.js'

export interface RuntimeParts {
  runtime: 'node' | 'bun'
  launcher: (stateDir: string) => DaemonLauncher
  logs: (logFile: string, keep: number) => LogStore
  clientAddress: (c: Context) => string | undefined
}

export interface LocalDeps extends AppDeps {
  folder: PipelineFolder
  keeper: Keeper
  link: DaemonLink
  /** Checks every pipeline file (throws a ConfigError), then connects to or resumes the daemon. */
  init(): Promise<PipelineDefinition[]>
  close(): void
}

// A drain that takes longer than this turns into a cancel.
const DRAIN_TIMEOUT_MS = 15 * 60_000

export function wireLocalDeps(config: Config, parts: RuntimeParts): LocalDeps {
  const stateDir = resolve(config.stateDir)
  const layout = { stateDir, logDir: resolve(config.logDir), logFile: resolve(config.logFile) }
  // With a folder of pipelines, `default` exists only when asked for (or ./pipeline.json is there).
  const defaultFile = config.pipelinesDir && !config.pipeline ? resolvePipelinePath(null, process.cwd(), { bundled: false }) : resolvePipelinePath(config.pipeline)
  const folder = createPipelineFolder({ defaultFile, dir: config.pipelinesDir ? resolve(config.pipelinesDir) : null })
  const link = createDaemonLink(createControlSocket(controlSocketPath(stateDir)))
  const lock = createLockFile(lockPath(stateDir), stateDir)
  const graceMs = config.stopGraceSeconds * 1000
  const runsOf = (dir: string) => createFileRunHistory(runsDir(dir), config.runsKeep)
  const stateOf = (dir: string) => createJsonFile(statePath(dir), pipelineStateFileSchema)
  const desiredOf = (dir: string) => createJsonFile(desiredPath(dir), desiredStateSchema)
  // The log may be unwritable (a full disk): the note is lost, the restart goes on.
  const note = (desired: DesiredState, text: string) =>
    void parts.logs(desired.home.log_file, config.logKeep).append(formatLine(text, new Date())).catch(() => undefined)

  const keeper = createKeeper({
    link,
    lock,
    procs: linuxProcesses,
    launcher: parts.launcher(stateDir),
    settings: {
      runtime: parts.runtime,
      state_dir: stateDir,
      log_max_bytes: config.logMaxBytes,
      log_keep: config.logKeep,
      grace_ms: graceMs,
      runs_keep: config.runsKeep,
      drain_timeout_ms: DRAIN_TIMEOUT_MS,
    },
    desiredStates: () => readDesiredStates(stateDir),
    markStopped: (desired) => desiredOf(desired.home.dir).write({ ...desired, state: 'stopped', updated_at: new Date().toISOString() }),
    reconcile: async (desired, why) => {
      await reconcilePipeline({ state: stateOf(desired.home.dir), runs: runsOf(desired.home.dir), procs: linuxProcesses, note: (text) => note(desired, text) }, why)
    },
    note,
    resume: config.resume,
  })

  const open = (definition: PipelineDefinition): PipelineHandle => {
    const home = homeOf(definition.name, definition.file, layout)
    const runs = runsOf(home.dir)
    return {
      name: definition.name,
      runs,
      logs: parts.logs(home.log_file, config.logKeep),
      controller: createLocalController({
        home,
        link,
        keeper,
        lock,
        procs: linuxProcesses,
        desired: desiredOf(home.dir),
        state: stateOf(home.dir),
        earlierState: createJsonFile(statePath(home.dir), earlierStateSchema),
        runs,
        loadPipeline: () => loadPipeline(home.file),
        note: (text) => void parts.logs(home.log_file, config.logKeep).append(formatLine(text, new Date())).catch(() => undefined),
        graceMs,
        drainTimeoutMs: DRAIN_TIMEOUT_MS,
      }),
    }
  }

  // Every push from the daemon may change a pipeline's state: the list is answered again after one.
  let changes = 0
  link.onChange(() => void changes++)
  // A running pipeline without its file is named by where its file would be (a start reads it there).
  const fileOf = (name: string) => (config.pipelinesDir && name !== DEFAULT_PIPELINE ? join(resolve(config.pipelinesDir), `${name}.json`) : (defaultFile ?? ''))
  const running = () => link.running().map((name): PipelineDefinition => ({ name, file: fileOf(name), steps: null, error: null }))
  const catalog = createCatalog({ source: folder, open, defaultName: config.defaultPipeline, changes: () => changes, running })

  return {
    pipelines: catalog,
    daemonMetrics: () => ({ restarts: keeper.restarts(), crashLoop: keeper.crashLoop() !== null }),
    folder,
    keeper,
    link,
    minIntervalSeconds: config.minIntervalSeconds,
    token: config.token,
    readToken: config.readToken,
    clientAddress: parts.clientAddress,
    async init() {
      const definitions = await folder.load()
      if (config.defaultPipeline && !definitions.some((d) => d.name === config.defaultPipeline)) {
        throw new ConfigError(`--default-pipeline: no pipeline named "${config.defaultPipeline}" (known: ${definitions.map((d) => d.name).join(', ') || 'none'})`)
      }
      await keeper.init()
      return definitions
    },
    close() {
      keeper.close()
      link.close()
    },
  }
}
