import type { Lock } from '../../src/ports.js'
import type { ContractHarness } from './harness.js'

export interface LockFixture {
  lock: Lock
  /** A second handle on the same lock, as another API server takes it. */
  other(): Lock
  /** Leaves the lock held by a process that is dead (it crashed during a start or stop). */
  plantDeadLock(): Promise<void>
  cleanup(): Promise<void>
}

export interface LockContract extends ContractHarness {
  make(): Promise<LockFixture>
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

/** The Lock contract; every implementation, the in-memory one included, must pass it. */
export function lockContract({ it, expect, make }: LockContract) {
  const withLock = async (fn: (f: LockFixture) => Promise<void>) => {
    const f = await make()
    try {
      await fn(f)
    } finally {
      await f.cleanup()
    }
  }

  /** Holds `lock` until the returned release is called. */
  async function hold(lock: Lock) {
    let release!: () => void
    let entered!: () => void
    const inside = new Promise<void>((resolve) => (entered = resolve))
    const held = lock.withLock(async () => {
      entered()
      await new Promise<void>((resolve) => (release = resolve))
      return 'first'
    })
    await inside
    return { held, release: () => release() }
  }

  it('answers what fn returns - withLock', () =>
    withLock(async ({ lock }) => {
      expect(await lock.withLock(async () => 42)).toBe(42)
    }))

  it('makes a second holder wait, and throws LockTimeoutError after waitMs - two handles', () =>
    withLock(async ({ lock, other }) => {
      const o = other()
      const first = await hold(lock)
      const err = await o.withLock(async () => 'second', 100).catch((e: Error) => e)
      expect((err as Error).name).toBe('LockTimeoutError')
      const waiting = o.withLock(async () => 'second', 5000)
      first.release()
      expect(await first.held).toBe('first')
      expect(await waiting).toBe('second')
    }))

  it('tries once with waitMs 0: throws while held, runs when free', () =>
    withLock(async ({ lock, other }) => {
      const o = other()
      expect(await o.withLock(async () => 'free', 0)).toBe('free')
      const first = await hold(lock)
      expect(((await o.withLock(async () => 'no', 0).catch((e: Error) => e)) as Error).name).toBe('LockTimeoutError')
      first.release()
      await first.held
    }))

  it('runs holders one at a time - 6 concurrent withLock calls on two handles', () =>
    withLock(async ({ lock, other }) => {
      const o = other()
      let inside = 0
      let most = 0
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? o : lock).withLock(async () => {
            inside++
            most = Math.max(most, inside)
            await tick()
            inside--
          }, 10_000),
        ),
      )
      expect(most).toBe(1)
    }), 30_000)

  it('releases the lock when fn throws - failing holder', () =>
    withLock(async ({ lock, other }) => {
      const boom = new Error('boom')
      await expect(lock.withLock(async () => Promise.reject(boom))).rejects.toBe(boom)
      expect(await other().withLock(async () => 'free', 500)).toBe('free')
    }))

  it('breaks a lock whose holder is dead, and leaves none behind - crashed holder', () =>
    withLock(async ({ lock, plantDeadLock }) => {
      await plantDeadLock()
      expect(await lock.withLock(async () => 'taken', 5000)).toBe('taken')
      expect(await lock.withLock(async () => 'again', 500)).toBe('again')
    }))
}
