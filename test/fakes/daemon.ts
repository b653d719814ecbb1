import { daemonClaimPath, runsDir, statePath } from '../../adapters/posix/state-paths.js'
import { reconcilePipeline } from '../../src/control/reconcile.js'
import { daemonClaimSchema, pipelineStateFileSchema } from '../../src/daemon/protocol.js'
import { formatLine } from '../../src/log-line.js'
import { createScheduler } from '../../src/daemon/scheduler.js'
import { createSupervisor, type SupervisorOptions } from '../../src/daemon/supervisor.js'
import type { ControlChannel } from '../../src/ports.js'
import type { MemoryListener } from './control-channel.js'
import type { FakeDaemon } from './launcher.js'
import { createMemoryLogWriter, writeLog } from './log-store.js'
import type { MemoryMachine } from './machine.js'
import { createProcessGate } from './process-gate.js'
import { createMemoryRunHistory } from './run-history.js'

export interface MemoryDaemonOptions extends Pick<SupervisorOptions, 'now' | 'watchMs' | 'idleExitMs'> {
  /** The daemon's environment, passed on to every step. */
  env?: Record<string, string>
}

/**
 * The daemon process body of adapters/posix/daemon-process.ts over a memory machine: the REAL
 * supervisor, and for each started pipeline the REAL scheduler over the machine's fake runner,
 * run histories and log files. SIGTERM and SIGINT shut it down; SIGSTOP freezes it (it accepts
 * connections but answers nothing); SIGKILL drops its connections, as a crash does, and leaves
 * its files, its steps and their run records as they were.
 */
export function memoryDaemon(machine: MemoryMachine, o: MemoryDaemonOptions = {}): FakeDaemon {
  return async (ctx) => {
    const { settings } = ctx
    const gate = createProcessGate()
    const procs = gate.procs(machine.table.procs)
    const listeners: MemoryListener[] = []
    const channel: ControlChannel = {
      async listen(onConnection) {
        const listener = await machine.channel.listen(onConnection)
        listeners.push(listener)
        return listener
      },
      connect: () => machine.channel.connect(),
    }
    const runsOf = (dir: string) => gate.runs(createMemoryRunHistory(machine.runRecords(runsDir(dir))))
    const stateOf = (dir: string) => gate.file(machine.disk.jsonFile(statePath(dir), pipelineStateFileSchema))

    const supervisor = createSupervisor({
      settings,
      pid: ctx.pid,
      channel,
      claim: gate.file(machine.disk.jsonFile(daemonClaimPath(settings.state_dir), daemonClaimSchema)),
      isLiveDaemon: async (claim) => (await machine.table.procs.identify(claim.pid, claim.instance_id)) === 'ours',
      desiredStates: () => machine.desiredStates(),
      reconcile: (desired) => reconcilePipeline({ state: stateOf(desired.home.dir), runs: runsOf(desired.home.dir), procs }, 'the daemon died during the run'),
      openPipeline: async (desired, onChange, parsed) =>
        createScheduler({
          desired,
          instanceId: crypto.randomUUID(),
          daemon: { pid: ctx.pid, instanceId: settings.instance_id, runtime: settings.runtime },
          pipeline: parsed ?? machine.loadPipeline(desired.home.file),
          runner: gate.runner(machine.runner),
          procs,
          log: gate.log(createMemoryLogWriter(machine.logFile(desired.home.log_file), { maxBytes: settings.log_max_bytes, keep: settings.log_keep })),
          runs: runsOf(desired.home.dir),
          stateFile: stateOf(desired.home.dir),
          env: o.env ?? { PATH: '/usr/bin' },
          graceMs: settings.grace_ms,
          drainTimeoutMs: settings.drain_timeout_ms,
          onChange,
          now: o.now,
        }),
      report: (line) => gate.act(() => ctx.stderr(`[${new Date().toISOString()}] ${line}\n`)),
      note: (desired, text) => gate.act(() => writeLog(machine.logFile(desired.home.log_file), formatLine(text, new Date()))),
      now: o.now,
      watchMs: o.watchMs,
      idleExitMs: o.idleExitMs,
    })

    ctx.process.onSignal = (signal) => {
      if (signal === 'SIGTERM' || signal === 'SIGINT') void supervisor.shutdown(signal)
    }
    ctx.process.onFreeze = () => {
      gate.halt()
      listeners.forEach((listener) => listener.freeze())
    }
    void ctx.process.exited.then(() => {
      gate.halt()
      listeners.forEach((listener) => listener.abort())
      // What is left of its code winds down without touching anything, so no timer of it stays armed.
      void supervisor.shutdown('killed')
    })

    if (!(await supervisor.start())) return ctx.exit(1, 'another daemon already holds this state dir\n')
    await supervisor.done
    ctx.exit(0)
  }
}
