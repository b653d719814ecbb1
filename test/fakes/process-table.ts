import type { ProcessControl, Signal } from '../../src/ports.js'

/** One process of the fake table. `instanceId` stands for the `--instance=` cmdline marker, `tag` for the env marker. */
export interface FakeProcess {
  readonly pid: number
  readonly pgid: number
  readonly instanceId: string | null
  readonly tag: string | null
  /** Stuck in uninterruptible sleep: even SIGKILL does not end it (only `exit`). */
  readonly unkillable: boolean
  alive: boolean
  /** Frozen by SIGSTOP (which no handler sees): it cannot fork until it is killed. */
  stopped: boolean
  /** Receives every signal but SIGKILL and SIGSTOP; without a handler, any signal ends the process (the default disposition). */
  onSignal: ((signal: Signal) => void) | null
  /** Not a handler (SIGSTOP cannot be caught): how a fake that stands for a whole process (the daemon) learns it is frozen. */
  onFreeze: (() => void) | null
  /** Settles when the process ends: with `exit(code)`, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: Signal | null }>
  exit(code?: number | null, signal?: Signal | null): void
}

export interface SentSignal {
  pid: number
  signal: Signal
  /** True for `signalGroup` (pid is then the group id). */
  group: boolean
  /** False when nothing alive received it. */
  delivered: boolean
}

export interface FakeProcessTable {
  readonly procs: ProcessControl
  /** Every `signal` and `signalGroup` call, in order, delivered or not. */
  readonly signals: SentSignal[]
  spawn(opts?: { instanceId?: string | null; tag?: string | null; pgid?: number; unkillable?: boolean; onSignal?: (signal: Signal) => void }): FakeProcess
  /** A child of `parent` carrying its env marker; null when the parent is dead or frozen (it cannot fork). */
  fork(parent: FakeProcess): FakeProcess | null
  /**
   * Runs inside every `findTagged`, after it has taken its snapshot: processes born here are
   * missed by that scan, as a child born after the /proc listing is.
   */
  duringScan: (() => void) | null
  /** A live process that carries our instance id on its cmdline and in its env. */
  addOurs(instanceId: string): FakeProcess
  /** A live process of someone else (e.g. a recycled pid). */
  addForeign(): FakeProcess
  get(pid: number): FakeProcess | undefined
  /** Every process that is still alive. */
  alive(): FakeProcess[]
  isAlive(pid: number): boolean
  /** Signals sent to one pid (not groups). */
  signalsTo(pid: number): Signal[]
}

/** An in-memory process table implementing ProcessControl; it records every signal sent. */
export function createFakeProcessTable(firstPid = 4000): FakeProcessTable {
  const table = new Map<number, FakeProcess>()
  const signals: SentSignal[] = []
  let nextPid = firstPid

  function spawn(opts: Parameters<FakeProcessTable['spawn']>[0] = {}): FakeProcess {
    const pid = nextPid++
    let settle!: (v: { code: number | null; signal: Signal | null }) => void
    const exited = new Promise<{ code: number | null; signal: Signal | null }>((r) => (settle = r))
    const proc: FakeProcess = {
      pid,
      pgid: opts.pgid ?? pid,
      instanceId: opts.instanceId ?? null,
      tag: opts.tag ?? null,
      unkillable: opts.unkillable ?? false,
      alive: true,
      stopped: false,
      onSignal: opts.onSignal ?? null,
      onFreeze: null,
      exited,
      exit(code = 0, signal = null) {
        if (!proc.alive) return
        proc.alive = false
        settle({ code, signal })
      },
    }
    table.set(pid, proc)
    return proc
  }

  function deliver(proc: FakeProcess, signal: Signal) {
    if (proc.unkillable) return
    if (signal === 'SIGSTOP') {
      // Frozen: it cannot fork, and a fake daemon stops answering.
      proc.stopped = true
      proc.onFreeze?.()
      return
    }
    if (signal === 'SIGKILL' || !proc.onSignal) proc.exit(null, signal)
    else proc.onSignal(signal)
  }

  const procs: ProcessControl = {
    async identify(pid, instanceId) {
      const proc = table.get(pid)
      if (!proc || !proc.alive) return 'gone'
      return proc.instanceId === instanceId ? 'ours' : 'foreign'
    },
    signal(pid, signal) {
      // Same guard as the /proc adapter: pids 0 and 1 and negatives are never signalled.
      const proc = pid > 1 ? table.get(pid) : undefined
      const delivered = !!proc?.alive
      signals.push({ pid, signal, group: false, delivered })
      if (proc && delivered) deliver(proc, signal)
      return delivered
    },
    signalGroup(pgid, signal) {
      const members = pgid > 1 ? [...table.values()].filter((p) => p.alive && p.pgid === pgid) : []
      signals.push({ pid: pgid, signal, group: true, delivered: members.length > 0 })
      for (const p of members) deliver(p, signal)
      return members.length > 0
    },
    async findTagged(instanceId) {
      const found = [...table.values()].filter((p) => p.alive && p.tag === instanceId).map((p) => p.pid)
      fake.duringScan?.()
      return found
    },
  }

  const fake: FakeProcessTable = {
    procs,
    signals,
    spawn,
    fork: (parent) => (parent.alive && !parent.stopped ? spawn({ tag: parent.tag }) : null),
    duringScan: null,
    addOurs: (instanceId) => spawn({ instanceId, tag: instanceId }),
    addForeign: () => spawn(),
    get: (pid) => table.get(pid),
    alive: () => [...table.values()].filter((p) => p.alive),
    isAlive: (pid) => !!table.get(pid)?.alive,
    signalsTo: (pid) => signals.filter((s) => s.pid === pid && !s.group).map((s) => s.signal),
  }
  return fake
}

/**
 * A chain that re-launches itself, starting from `first`: during each of the first `scans`
 * scans every live, unfrozen member forks a successor that scan does not see. Returns the
 * members, growing as they are born.
 */
export function forkDuringScans(table: FakeProcessTable, first: FakeProcess, scans: number): FakeProcess[] {
  const members = [first]
  let seen = 0
  table.duringScan = () => {
    if (seen++ >= scans) return
    for (const m of members.filter((p) => p.alive)) {
      const child = table.fork(m)
      if (child) members.push(child)
    }
  }
  return members
}
