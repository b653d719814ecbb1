import type { Lock } from '../../src/ports.js'
import { LockTimeoutError } from '../../src/ports.js'

/** What the Lock handles of one state dir share, as processes share its lock file. */
export interface MemoryLockBacking {
  holder: { pid: number; token: symbol } | null
  /** Wakes waiters when the lock is released. */
  readonly waiters: Set<() => void>
}

export function createMemoryLockBacking(): MemoryLockBacking {
  return { holder: null, waiters: new Set() }
}

export interface MemoryLockOptions {
  backing?: MemoryLockBacking
  /** The process this handle belongs to; the lock names it as the holder. */
  pid?: number
  /** A lock whose holder is dead is broken, as the lock file is when its pid is gone. */
  isAlive?: (pid: number) => boolean
}

/** The state dir's lock in memory: one holder at a time, LockTimeoutError after `waitMs`. */
export function createMemoryLock(o: MemoryLockOptions = {}): Lock & { readonly backing: MemoryLockBacking } {
  const b = o.backing ?? createMemoryLockBacking()
  const pid = o.pid ?? 1000
  const isAlive = o.isAlive ?? (() => true)

  function tryLock(token: symbol): boolean {
    if (b.holder && !isAlive(b.holder.pid)) b.holder = null
    if (b.holder) return false
    b.holder = { pid, token }
    return true
  }

  function release(token: symbol) {
    if (b.holder?.token !== token) return
    b.holder = null
    for (const wake of [...b.waiters]) wake()
  }

  function waitForRelease(ms: number) {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        b.waiters.delete(done)
        resolve()
      }
      // Retried on a timer too: a dead holder never releases, it is only found dead on a retry.
      const timer = setTimeout(done, Math.max(0, Math.min(ms, 25)))
      b.waiters.add(done)
    })
  }

  return {
    backing: b,
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
  }
}
