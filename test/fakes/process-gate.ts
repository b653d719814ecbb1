import type { JsonFile, LogWriter, ProcessControl, ProcessRunner, RunHistory } from '../../src/ports.js'

/**
 * The ports of a fake process that runs in the test's own event loop, cut off once the process
 * is frozen (SIGSTOP) or killed: from then on its code may still run (its promises and timers
 * live on in this loop), but it changes nothing outside: no file, run record, log line, signal
 * or step. Its waits on its steps end at once, so that code winds down instead of hanging.
 */
export interface ProcessGate {
  readonly halted: boolean
  /** The process froze or died. */
  halt(): void
  /** Runs `fn` only while the process runs. */
  act(fn: () => void): void
  file<T>(file: JsonFile<T>): JsonFile<T>
  runs(history: RunHistory): RunHistory
  log(writer: LogWriter): LogWriter
  procs(procs: ProcessControl): ProcessControl
  runner(runner: ProcessRunner): ProcessRunner
}

export function createProcessGate(): ProcessGate {
  let halted = false
  let onHalt!: () => void
  const haltedAt = new Promise<void>((resolve) => (onHalt = resolve))
  const unless = async <T>(fn: () => Promise<T>, otherwise: T): Promise<T> => (halted ? otherwise : fn())

  return {
    get halted() {
      return halted
    },
    halt() {
      halted = true
      onHalt()
    },
    act: (fn) => void (halted || fn()),
    file: (file) => ({
      read: () => file.read(),
      write: (value) => unless(() => file.write(value), undefined),
      create: (value) => unless(() => file.create(value), false),
      remove: () => unless(() => file.remove(), undefined),
      quarantine: () => unless(() => file.quarantine(), null),
    }),
    runs: (history) => ({
      append: (run) => unless(() => history.append(run), undefined),
      list: (limit) => history.list(limit),
      get: (id) => history.get(id),
    }),
    log: (writer) => ({
      append: (text) => void (halted || writer.append(text)),
      close: () => void (halted || writer.close()),
    }),
    procs: (procs) => ({
      identify: (pid, instanceId) => procs.identify(pid, instanceId),
      signal: (pid, signal) => !halted && procs.signal(pid, signal),
      signalGroup: (pgid, signal) => !halted && procs.signalGroup(pgid, signal),
      // A halted process finds nothing to sweep: its sweeps end at once.
      findTagged: (instanceId) => unless(() => procs.findTagged(instanceId), []),
    }),
    runner: (runner) => ({
      spawn(req, onOutput) {
        if (halted) throw new Error('the daemon is not running')
        const step = runner.spawn(req, (text, stream) => void (halted || onOutput(text, stream)))
        return {
          pid: step.pid,
          exited: Promise.race([step.exited, haltedAt.then(() => ({ exitCode: null, signal: 'SIGKILL' }))]),
          killGroup: (signal) => void (halted || step.killGroup(signal)),
        }
      },
    }),
  }
}
