import type { DaemonSettings } from '../../src/daemon/protocol.js'
import type { DaemonLauncher } from '../../src/ports.js'
import type { FakeProcess, FakeProcessTable } from './process-table.js'

/** What a fake daemon gets when it is launched. */
export interface FakeDaemonContext {
  pid: number
  settings: DaemonSettings
  process: FakeProcess
  /** Writes to the daemon's stderr: the keeper reports its last line when the daemon dies at start. */
  stderr(text: string): void
  /** Ends the daemon process with `code`, after writing `stderr`. */
  exit(code: number, stderr?: string): void
}

/** A daemon's code: it sets `ctx.process.onSignal`, serves, and exits when it likes. */
export type FakeDaemon = (ctx: FakeDaemonContext) => void | Promise<void>

export interface FakeLaunch {
  pid: number
  settings: DaemonSettings
  /** Settles once the daemon's code has returned (after a kill: once it has wound down). */
  settled: Promise<void>
  /** What it wrote on stderr so far. */
  stderr(): string
}

export type FakeLauncher = DaemonLauncher & { readonly launches: FakeLaunch[] }

/**
 * A DaemonLauncher that starts `daemon` as a process of the fake table, carrying its instance id
 * as the real daemon carries `--instance=<id>` on its command line (and no pipeline's marker).
 * Each launch is also added to `registry` (the machine's, shared by every server on it).
 */
export function createFakeLauncher(table: FakeProcessTable, daemon: FakeDaemon, o: { registry?: FakeLaunch[] } = {}): FakeLauncher {
  const launches: FakeLaunch[] = []
  const launcher: DaemonLauncher = {
    async launch(settings) {
      const proc = table.spawn({ instanceId: settings.instance_id })
      let stderr = ''
      const ctx: FakeDaemonContext = {
        pid: proc.pid,
        settings,
        process: proc,
        stderr: (text) => void (stderr += text),
        exit(code, text = '') {
          stderr += text
          proc.exit(code)
        },
      }
      // Like a spawned child, the daemon's code runs after launch() has returned its pid.
      const settled = Promise.resolve()
        .then(() => daemon(ctx))
        .catch((err: Error) => ctx.exit(1, `${err.message}\n`))
      const launch: FakeLaunch = { pid: proc.pid, settings, settled, stderr: () => stderr }
      launches.push(launch)
      o.registry?.push(launch)
      return { pid: proc.pid, exited: proc.exited.then((e) => ({ code: e.code, stderr })) }
    },
  }
  return Object.assign(launcher, { launches })
}

/** A daemon that dies at start-up, printing `stderr` (e.g. a state dir it cannot write). */
export function failsAtStart(stderr: string, code = 1): FakeDaemon {
  return (ctx) => ctx.exit(code, stderr)
}

/** A daemon that stays alive but never listens, so it never reports ready. */
export function neverReady(): FakeDaemon {
  return (ctx) => {
    ctx.process.onSignal = () => undefined
  }
}
