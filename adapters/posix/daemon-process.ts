/**
 * The daemon process body, shared by the Node and Bun entries: spawned detached by an API
 * server, it runs every started pipeline of its state dir until the last one stops. SIGTERM
 * stops them all without changing what should run (a shutdown of the host: they come back
 * after it); SIGHUP reopens the log files (after an external rotation).
 */
import { randomUUID } from 'node:crypto'
import { existsSync, readdirSync, statfsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseDaemonArgv } from '../../src/daemon/argv.js'
import type { DaemonSettings, DesiredState, PipelineLive } from '../../src/daemon/protocol.js'
import { daemonClaimSchema, desiredStateSchema, pipelineStateFileSchema } from '../../src/daemon/protocol.js'
import { createScheduler } from '../../src/daemon/scheduler.js'
import { createSupervisor } from '../../src/daemon/supervisor.js'
import { reconcilePipeline } from '../../src/control/reconcile.js'
import type { Pipeline } from '../../src/pipeline.js'
import type { ProcessRunner } from '../../src/ports.js'
import { INSTANCE_ENV } from '../../src/ports.js'
import { formatLine } from '../../src/log-line.js'
import { createFileLogStore } from './log-store.js'
import { createFileLogWriter, type FileLogWriter } from './log-writer.js'
import { refuseSymlink } from './no-follow.js'
import { loadPipeline } from './pipeline-file.js'
import { linuxProcesses } from './process-control.js'
import { createFileRunHistory } from './run-history.js'
import { createControlSocket } from './control-socket.js'
import { createJsonFile } from './json-file.js'
import { controlSocketPath, daemonClaimPath, desiredPath, pipelinesDir, runsDir, statePath } from './state-paths.js'

export async function runDaemonProcess(argv: readonly string[], runner: ProcessRunner): Promise<void> {
  const settings = parseDaemonArgv(argv)
  const writers = new Set<FileLogWriter>()
  const report = (line: string) => process.stderr.write(`[${new Date().toISOString()}] ${line}\n`)
  // Steps inherit the daemon's environment; the daemon itself carries no pipeline's marker.
  const env = { ...process.env } as Record<string, string>
  delete env[INSTANCE_ENV]

  const note = (desired: DesiredState, text: string) =>
    void createFileLogStore(desired.home.log_file, settings.log_keep).append(formatLine(text, new Date())).catch(() => undefined)
  const supervisor = createSupervisor({
    settings,
    pid: process.pid,
    channel: createControlSocket(controlSocketPath(settings.state_dir)),
    claim: createJsonFile(daemonClaimPath(settings.state_dir), daemonClaimSchema),
    isLiveDaemon: async (claim) => (await linuxProcesses.identify(claim.pid, claim.instance_id)) === 'ours',
    desiredStates: () => readDesiredStates(settings.state_dir),
    reconcile: (desired) =>
      reconcilePipeline(
        {
          state: createJsonFile(statePath(desired.home.dir), pipelineStateFileSchema),
          runs: createFileRunHistory(runsDir(desired.home.dir), settings.runs_keep),
          procs: linuxProcesses,
          note: (text) => note(desired, text),
        },
        'the daemon died during the run',
      ),
    openPipeline: async (desired, onChange, pipeline) => openPipeline(settings, desired, onChange, { runner, env, writers }, pipeline),
    report,
    note,
  })

  process.on('SIGTERM', () => void supervisor.shutdown('SIGTERM'))
  process.on('SIGINT', () => void supervisor.shutdown('SIGINT'))
  // Detached from any terminal, so a hang-up only ever means "reopen your logs" (as for nginx, syslog).
  process.on('SIGHUP', () => writers.forEach((writer) => writer.reopen('SIGHUP')))
  process.on('unhandledRejection', (err) => report(`daemon error: ${String(err)}`))

  if (!(await supervisor.start())) {
    process.stderr.write('another daemon already holds this state dir\n')
    process.exit(1)
  }
  await supervisor.done
  process.exit(0)
}

async function openPipeline(
  settings: DaemonSettings,
  desired: DesiredState,
  onChange: (live: PipelineLive) => void,
  parts: { runner: ProcessRunner; env: Record<string, string>; writers: Set<FileLogWriter> },
  parsed?: Pipeline,
) {
  // Sent with a start, kept in desired.json for a resume; read from the file only for a desired.json older than that.
  const pipeline = parsed ?? (await loadPipeline(desired.home.file))
  const log = createFileLogWriter(desired.home.log_file, settings.log_max_bytes, settings.log_keep)
  assertRoomForLog(desired.home.log_file)
  // Its appends refuse a symlink too, but a pipeline that can record no run should not start.
  refuseSymlink(join(runsDir(desired.home.dir), 'runs.jsonl'))
  parts.writers.add(log)
  const scheduler = createScheduler({
    desired,
    instanceId: randomUUID(),
    daemon: { pid: process.pid, instanceId: settings.instance_id, runtime: settings.runtime },
    pipeline,
    runner: parts.runner,
    procs: linuxProcesses,
    log: { append: (text) => log.append(text), close: () => (parts.writers.delete(log), log.close()) },
    runs: createFileRunHistory(runsDir(desired.home.dir), settings.runs_keep),
    stateFile: createJsonFile(statePath(desired.home.dir), pipelineStateFileSchema),
    env: parts.env,
    graceMs: settings.grace_ms,
    drainTimeoutMs: settings.drain_timeout_ms,
    webhooks: { fetch: globalThis.fetch, env: process.env },
    onChange,
  })
  return scheduler
}

// Below this much free space the first run's output would already be lost.
const MIN_FREE_BYTES = 64 * 1024

/**
 * The log writer survives a disk that fills up mid-run, but a pipeline that cannot write a line
 * from the start would run blind: refuse to start it, saying so (the API answers 500 with it).
 */
function assertRoomForLog(logFile: string) {
  let free: number
  try {
    const fs = statfsSync(dirname(logFile))
    free = fs.bavail * fs.bsize
  } catch {
    return // no statfs here: the writes themselves will tell
  }
  if (free < MIN_FREE_BYTES) {
    throw new Error(`cannot write the log file ${logFile}: ENOSPC: no space left on device (${free} bytes free)`)
  }
}

/** Every desired.json of the state dir: the `default` pipeline's at its root, the others' below pipelines/. */
export async function readDesiredStates(stateDir: string): Promise<DesiredState[]> {
  const dirs = [stateDir]
  const below = pipelinesDir(stateDir)
  if (existsSync(below)) for (const name of readdirSync(below)) dirs.push(join(below, name))
  const found: DesiredState[] = []
  for (const dir of dirs) {
    const read = await createJsonFile(desiredPath(dir), desiredStateSchema).read().catch(() => null)
    if (read?.value) found.push(read.value)
  }
  return found
}

/** Entry helper: runs the daemon and turns a start-up failure into one stderr line and exit 1. */
export function daemonEntry(runner: ProcessRunner) {
  runDaemonProcess(process.argv.slice(2), runner).catch((err: Error) => {
    process.stderr.write(`${err.message}\n`)
    process.exit(1)
  })
}
