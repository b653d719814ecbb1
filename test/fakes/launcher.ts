import type { DaemonLauncher, DaemonState, Schedule, Signal, StateStore } from '../../src/ports.js'
import type { FakeProcess, FakeProcessTable } from './process-table.js'

/** What a fake daemon gets when it is launched. */
export interface FakeDaemonContext {
  pid: number
  instanceId: string
  schedule: Schedule
  runImmediately: boolean
  process: FakeProcess
  state: StateStore
  /** Ends the daemon process; `stderr` is what the launcher reports as its start-up error. */
  exit(code: number, stderr?: string): void
}

/** A fake daemon's behaviour: set `ctx.process.onSignal`, write state, exit when it likes. */
export type FakeDaemon = (ctx: FakeDaemonContext) => void | Promise<void>

export type FakeLauncher = DaemonLauncher & { readonly launches: Array<{ instanceId: string; pid: number; schedule: Schedule; runImmediately: boolean }> }

/**
 * A DaemonLauncher that starts a fake daemon process in the fake process table. The process
 * carries the instance id (cmdline and env markers), as the real launcher's child does.
 */
export function createFakeLauncher(o: { table: FakeProcessTable; state: StateStore; daemon?: FakeDaemon }): FakeLauncher {
  const launches: FakeLauncher['launches'] = []
  const daemon = o.daemon ?? claimsState()
  const launcher: DaemonLauncher = {
    async launch({ instanceId, schedule, runImmediately }) {
      const proc = o.table.spawn({ instanceId, tag: instanceId })
      launches.push({ instanceId, pid: proc.pid, schedule, runImmediately })
      let stderr = ''
      const ctx: FakeDaemonContext = {
        pid: proc.pid,
        instanceId,
        schedule,
        runImmediately,
        process: proc,
        state: o.state,
        exit(code, err = '') {
          stderr += err
          proc.exit(code)
        },
      }
      // Like a spawned child: the daemon's code runs after launch() has returned its pid.
      queueMicrotask(() => void Promise.resolve(daemon(ctx)).catch((err: Error) => ctx.exit(1, `${err.message}\n`)))
      return { pid: proc.pid, exited: proc.exited.then((e) => ({ code: e.code, stderr })) }
    },
  }
  return Object.assign(launcher, { launches })
}

/** The state a daemon publishes at start. */
export function initialState(ctx: FakeDaemonContext, patch: Partial<DaemonState> = {}): DaemonState {
  return {
    pid: ctx.pid,
    instance_id: ctx.instanceId,
    runtime: 'fake',
    started_at: new Date().toISOString(),
    schedule: ctx.schedule,
    run_immediately: ctx.runImmediately,
    pipeline_file: 'pipeline.json',
    next_run_at: null,
    current_run: null,
    stopping: null,
    ...patch,
  }
}

/**
 * Default fake daemon: claims the state (exits 1 if another holds it), then on SIGTERM/SIGINT/SIGQUIT
 * removes its state and exits 0. `ignoreSigterm` makes a daemon that has to be killed.
 */
export function claimsState(o: { ignoreSigterm?: boolean; onSignal?: (signal: Signal, ctx: FakeDaemonContext) => void } = {}): FakeDaemon {
  return async (ctx) => {
    ctx.process.onSignal = (signal) => {
      o.onSignal?.(signal, ctx)
      if (signal === 'SIGUSR2' || o.ignoreSigterm) return
      void ctx.state.remove(ctx.instanceId).then(() => ctx.exit(0))
    }
    if (!(await ctx.state.create(initialState(ctx)))) ctx.exit(1, 'another daemon already holds the state file\n')
  }
}

/** A daemon that dies at start-up with `stderr` (e.g. a pipeline file that went bad). */
export function failsAtStart(stderr: string, code = 1): FakeDaemon {
  return (ctx) => ctx.exit(code, stderr)
}

/** A daemon that stays alive but never reports ready (never writes its state). */
export function neverReady(): FakeDaemon {
  return (ctx) => {
    ctx.process.onSignal = () => undefined
  }
}
