import { desiredPath, pipelinesDir } from '../../adapters/posix/state-paths.js'
import { DEFAULT_PIPELINE as DEFAULT_NAME, type Layout } from '../../src/control/homes.js'
import type { DesiredState } from '../../src/daemon/protocol.js'
import { desiredStateSchema } from '../../src/daemon/protocol.js'
import { ConfigError } from '../../src/errors.js'
import type { Pipeline } from '../../src/pipeline.js'
import type { RunRecord, SpawnRequest } from '../../src/ports.js'
import { createMemoryChannel, type MemoryControlChannel } from './control-channel.js'
import { createMemoryDisk, type MemoryDisk } from './json-file.js'
import { createMemoryLockBacking, type MemoryLockBacking } from './lock.js'
import { createMemoryLogFile, type MemoryLogFile } from './log-store.js'
import type { FakeLaunch } from './launcher.js'
import { createFakeProcessTable, type FakeProcessTable } from './process-table.js'
import { createFakeRunner, type FakeRunner, type FakeScript } from './runner.js'

/** The pipeline a memory system runs unless told otherwise: three steps that exit 0. */
export const DEFAULT_PIPELINE: Pipeline = {
  name: 'test-pipeline',
  steps: [
    { name: 'extract', run: 'extract' },
    { name: 'transform', run: ['node', 'transform.js'] },
    { name: 'load', run: 'load' },
  ],
}

export interface MemoryMachineOptions {
  /** Pipelines by name, each with a file of its own (`default`: DEFAULT_PIPELINE). */
  pipelines?: Record<string, Pipeline>
  /** Scripts for the steps' commands (see createFakeRunner). */
  scripts?: Record<string, FakeScript> | ((req: SpawnRequest) => FakeScript)
}

/**
 * One host in memory, shared by every API server and daemon "process" on it: the process table,
 * the state dir's files, its lock and its socket, the log files, the run histories and the
 * pipeline files. Two memory systems on one machine are two API servers on one state dir.
 */
export interface MemoryMachine {
  readonly table: FakeProcessTable
  readonly disk: MemoryDisk
  readonly channel: MemoryControlChannel
  readonly lock: MemoryLockBacking
  readonly runner: FakeRunner
  readonly layout: Layout
  /** Every daemon launched on this machine, by any server. */
  readonly launches: FakeLaunch[]
  /** The pipeline files by path; delete one to make it unreadable. */
  readonly pipelineFiles: Map<string, Pipeline>
  /** The path of the named pipeline's file. */
  fileOf(name: string): string
  /** Reads a pipeline file as the daemon and the API do; throws a ConfigError when it is missing. */
  loadPipeline(file: string): Pipeline
  logFile(path: string): MemoryLogFile
  /** The records behind one pipeline's runs.jsonl (its home dir). */
  runRecords(dir: string): RunRecord[]
  /** Every valid desired.json of the state dir, `default` first. */
  desiredStates(): Promise<DesiredState[]>
}

export function createMemoryMachine(o: MemoryMachineOptions = {}): MemoryMachine {
  const table = createFakeProcessTable()
  const disk = createMemoryDisk()
  const layout: Layout = { stateDir: '/state', logDir: '/logs', logFile: '/logs/pipeline.log' }
  const fileOf = (name: string) => (name === DEFAULT_NAME ? '/srv/pipeline.json' : `/srv/pipelines/${name}.json`)
  const pipelineFiles = new Map(Object.entries(o.pipelines ?? { [DEFAULT_NAME]: DEFAULT_PIPELINE }).map(([name, p]) => [fileOf(name), p]))
  const logFiles = new Map<string, MemoryLogFile>()
  const records = new Map<string, RunRecord[]>()
  const of = <T>(map: Map<string, T>, key: string, make: () => T) => map.get(key) ?? (map.set(key, make()), map.get(key)!)

  return {
    table,
    disk,
    channel: createMemoryChannel(),
    lock: createMemoryLockBacking(),
    runner: createFakeRunner(o.scripts ?? {}, { table }),
    layout,
    launches: [],
    pipelineFiles,
    fileOf,
    loadPipeline(file) {
      const pipeline = pipelineFiles.get(file)
      if (!pipeline) throw new ConfigError(`${file}: cannot read the pipeline file (ENOENT)`)
      return pipeline
    },
    logFile: (path) => of(logFiles, path, () => createMemoryLogFile()),
    runRecords: (dir) => of(records, dir, () => []),
    async desiredStates() {
      const below = `${pipelinesDir(layout.stateDir)}/`
      const paths = [desiredPath(layout.stateDir), ...[...disk.files.keys()].filter((p) => p.startsWith(below) && p.endsWith('/desired.json')).sort()]
      const found: DesiredState[] = []
      for (const path of paths) {
        const read = await disk.jsonFile(path, desiredStateSchema).read()
        if (read.value) found.push(read.value)
      }
      return found
    },
  }
}

/** Kills every daemon launched on the machine, waits for their code to wind down, then kills the steps they left. */
export async function killAll(machine: MemoryMachine): Promise<void> {
  const { table } = machine
  for (const launch of machine.launches) if (table.isAlive(launch.pid)) table.procs.signal(launch.pid, 'SIGKILL')
  await Promise.all(machine.launches.map((launch) => launch.settled))
  for (const step of table.alive()) if (step.tag) table.procs.signal(step.pid, 'SIGKILL')
}
