import type { DaemonState, StateRead, StateStore } from '../../src/ports.js'
import { LockTimeoutError } from '../../src/ports.js'

/**
 * What several MemoryStateStore handles share, as several processes share one STATE_DIR.
 * The state is kept as JSON text so a corrupt file can be simulated.
 */
export interface MemoryStateBacking {
  raw: string | null
  lock: { holderPid: number; token: symbol } | null
  quarantined: string[]
  /** Wakes lock waiters when the lock is released. */
  waiters: Set<() => void>
}

export function createMemoryStateBacking(): MemoryStateBacking {
  return { raw: null, lock: null, quarantined: [], waiters: new Set() }
}

export interface MemoryStateOptions {
  backing?: MemoryStateBacking
  /** The "process" this handle belongs to; the lock records it as the holder. */
  pid?: number
  /** A lock whose holder is not alive is broken, as the file store does with a dead holder pid. */
  isAlive?: (pid: number) => boolean
}

/** In-memory StateStore with a working in-process lock (FIFO-free: waiters retry on release). */
export function createMemoryStateStore(o: MemoryStateOptions = {}): StateStore & { readonly backing: MemoryStateBacking } {
  const b = o.backing ?? createMemoryStateBacking()
  const pid = o.pid ?? 1000
  const isAlive = o.isAlive ?? (() => true)

  function tryLock(token: symbol): boolean {
    if (b.lock && !isAlive(b.lock.holderPid)) b.lock = null
    if (b.lock) return false
    b.lock = { holderPid: pid, token }
    return true
  }

  function release(token: symbol) {
    if (b.lock?.token !== token) return
    b.lock = null
    for (const wake of [...b.waiters]) wake()
  }

  async function waitForRelease(ms: number) {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        b.waiters.delete(done)
        resolve()
      }
      // Also retry on a timer: a dead holder never releases, it is only found stale on retry.
      const timer = setTimeout(done, Math.max(0, Math.min(ms, 25)))
      b.waiters.add(done)
    })
  }

  const store: StateStore = {
    async withLock(fn, waitMs = 60_000) {
      const token = Symbol('lock')
      const deadline = Date.now() + waitMs
      while (!tryLock(token)) {
        const left = deadline - Date.now()
        if (left <= 0) throw new LockTimeoutError()
        await waitForRelease(left)
      }
      try {
        return await fn()
      } finally {
        release(token)
      }
    },
    async read(): Promise<StateRead> {
      if (b.raw === null) return { state: null }
      try {
        const state = JSON.parse(b.raw) as DaemonState
        if (!Number.isInteger(state.pid) || typeof state.instance_id !== 'string' || !state.schedule) {
          return { state: null, corrupt: 'memory:state.json: missing pid, instance_id or schedule' }
        }
        return { state }
      } catch (err) {
        return { state: null, corrupt: `memory:state.json: invalid JSON (${(err as Error).message})` }
      }
    },
    async create(state) {
      if (b.raw !== null) return false
      b.raw = JSON.stringify(state)
      return true
    },
    async write(state) {
      b.raw = JSON.stringify(state)
    },
    async remove(instanceId) {
      const read = await store.read()
      if (read.state?.instance_id === instanceId) b.raw = null
    },
    async quarantine() {
      if (b.raw === null) return null
      b.quarantined.push(b.raw)
      b.raw = null
      return `memory:state.json.corrupt-${b.quarantined.length}`
    },
  }
  return Object.assign(store, { backing: b })
}
