/**
 * The daemon process body, shared by the Node and Bun entries: spawned detached by the API's
 * `start`, it runs the pipeline on its schedule until SIGTERM (cancel the run, then exit) or
 * SIGQUIT (let the run finish first). SIGUSR2 asks for a run now; SIGHUP reopens the log file
 * (after logrotate moved it away).
 */
import { statfsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createDaemon } from '../../src/daemon.js'
import { formatLine } from '../../src/log-line.js'
import type { ProcessRunner } from '../../src/ports.js'
import type { Schedule } from '../../src/schedule.js'
import { createFileLogWriter } from './log-writer.js'
import { refuseSymlink } from './no-follow.js'
import { loadPipeline } from './pipeline-file.js'
import { procfs } from './process-control.js'
import { createFileRunHistory } from './run-history.js'
import { createFileStateStore } from './state-store.js'

export interface DaemonArgs {
  instance: string
  stateDir: string
  logFile: string
  pipeline: string
  schedule: Schedule
  runImmediately: boolean
  logMaxBytes: number
  logKeep: number
  graceMs: number
  runsKeep: number
}

export function parseDaemonArgs(argv: readonly string[]): DaemonArgs {
  const get = (name: string) => {
    const hit = argv.find((a) => a.startsWith(`--${name}=`))
    if (hit === undefined) throw new Error(`daemon: missing --${name}`)
    return hit.slice(name.length + 3)
  }
  return {
    instance: get('instance'),
    stateDir: get('state-dir'),
    logFile: get('log-file'),
    pipeline: get('pipeline'),
    schedule: JSON.parse(get('schedule')) as Schedule,
    runImmediately: get('run-immediately') === '1',
    logMaxBytes: Number(get('log-max-bytes')),
    logKeep: Number(get('log-keep')),
    graceMs: Number(get('grace-ms')),
    runsKeep: Number(get('runs-keep')),
  }
}

export async function runDaemonProcess(argv: readonly string[], runtime: string, runner: ProcessRunner): Promise<void> {
  const args = parseDaemonArgs(argv)
  const pipeline = await loadPipeline(args.pipeline)
  const log = createFileLogWriter(args.logFile, args.logMaxBytes, args.logKeep)
  assertRoomForLog(args.logFile)
  // Its appends refuse a symlink too, but a daemon that can record no run should not start.
  refuseSymlink(join(args.stateDir, 'runs.jsonl'))
  const daemon = createDaemon({
    instanceId: args.instance,
    pid: process.pid,
    runtime,
    schedule: args.schedule,
    runImmediately: args.runImmediately,
    pipeline,
    pipelineFile: args.pipeline,
    pipelineDir: dirname(args.pipeline),
    runner,
    procs: procfs,
    log,
    runs: createFileRunHistory(args.stateDir, args.runsKeep),
    state: createFileStateStore(args.stateDir),
    env: process.env as Record<string, string>,
    graceMs: args.graceMs,
  })
  process.on('SIGTERM', () => void daemon.stop('cancel'))
  process.on('SIGINT', () => void daemon.stop('cancel'))
  process.on('SIGQUIT', () => void daemon.stop('drain'))
  process.on('SIGUSR2', () => {
    if (!daemon.runNow()) log.append(formatLine('Manual run ignored: a run is already in progress', new Date()))
  })
  // Detached from any terminal, so a hang-up only ever means "reopen your log" (as for nginx, syslog).
  process.on('SIGHUP', () => log.reopen('SIGHUP'))
  process.on('unhandledRejection', (err) => log.append(formatLine(`Daemon error: ${String(err)}`, new Date())))

  if (!(await daemon.start())) {
    process.stderr.write('another daemon already holds the state file\n')
    process.exit(1)
  }
  await daemon.stopped
  process.exit(0)
}

// Below this much free space the first run's output would already be lost.
const MIN_FREE_BYTES = 64 * 1024

/**
 * The log writer survives a disk that fills up mid-run, but a daemon that cannot write a line
 * from the start would run blind: refuse to start, saying so (the API answers 500 with it).
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

/** Entry helper: runs the daemon and turns a start-up failure into one stderr line and exit 1. */
export function daemonEntry(runtime: string, runner: ProcessRunner) {
  runDaemonProcess(process.argv.slice(2), runtime, runner).catch((err: Error) => {
    process.stderr.write(`${err.message}\n`)
    process.exit(1)
  })
}
