import type { DaemonState, StateStore } from '../../src/ports.js'
import type { ContractHarness } from './harness.js'

export interface StateFixture {
  store: StateStore
  /** A second handle on the same state, as another process (a second API server) opens it. */
  other(): StateStore
  /** Makes the stored state unreadable (a torn or hand-edited file). */
  corrupt(): Promise<void>
  /** Leaves a lock behind whose holder process is dead (crashed during a start or stop). */
  plantDeadLock(): Promise<void>
  cleanup(): Promise<void>
}

export interface StateStoreContract extends ContractHarness {
  make(): Promise<StateFixture>
}

export function daemonState(instanceId: string, patch: Partial<DaemonState> = {}): DaemonState {
  return {
    pid: 4242,
    instance_id: instanceId,
    runtime: 'test',
    started_at: '2025-12-26T10:30:45.123Z',
    schedule: { type: 'interval', interval_seconds: 60 },
    run_immediately: true,
    pipeline_file: '/srv/pipeline.json',
    next_run_at: '2025-12-26T10:31:45.123Z',
    current_run: null,
    stopping: null,
    ...patch,
  }
}

const tick = () => new Promise((r) => setTimeout(r, 5))

/** The StateStore contract; every implementation, the in-memory one included, must pass it. */
export function stateStoreContract({ it, expect, make }: StateStoreContract) {
  const withState = async (fn: (f: StateFixture) => Promise<void>) => {
    const f = await make()
    try {
      await fn(f)
    } finally {
      await f.cleanup()
    }
  }

  it('reads no state - nothing stored', () =>
    withState(async ({ store }) => {
      expect(await store.read()).toEqual({ state: null })
    }))

  it('reads back what was created - create', () =>
    withState(async ({ store }) => {
      const s = daemonState('a', { current_run: { id: 'r1', trigger: 'manual', started_at: '2025-12-26T10:30:45.123Z', step: 'x', index: 1, total: 2, step_started_at: null } })
      expect(await store.create(s)).toBe(true)
      expect(await store.read()).toEqual({ state: s })
    }))

  it('is exclusive: the second create is false and changes nothing - create twice', () =>
    withState(async ({ store, other }) => {
      expect(await store.create(daemonState('a'))).toBe(true)
      expect(await store.create(daemonState('b'))).toBe(false)
      expect(await other().create(daemonState('c'))).toBe(false)
      expect((await store.read()).state!.instance_id).toBe('a')
    }))

  it('lets exactly one of many concurrent creates win - two handles racing', () =>
    withState(async ({ store, other }) => {
      const o = other()
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? o : store).create(daemonState(`i${i}`))))
      expect(results.filter(Boolean)).toHaveLength(1)
      const winner = `i${results.indexOf(true)}`
      expect((await store.read()).state!.instance_id).toBe(winner)
    }))

  it('replaces the state - write', () =>
    withState(async ({ store }) => {
      await store.create(daemonState('a'))
      await store.write(daemonState('a', { next_run_at: null, stopping: 'drain' }))
      expect((await store.read()).state).toEqual(daemonState('a', { next_run_at: null, stopping: 'drain' }))
    }))

  it('never shows a half-written state to a reader - 200 writes during reads', () =>
    withState(async ({ store, other }) => {
      await store.create(daemonState('a'))
      const reader = other()
      let writing = true
      const seen: string[] = []
      const reads = (async () => {
        while (writing) {
          const r = await reader.read()
          seen.push('corrupt' in r ? `corrupt: ${r.corrupt}` : r.state === null ? 'missing' : 'ok')
          // A macrotask turn: a store that reads synchronously would otherwise starve the writes' I/O.
          await new Promise((r) => setTimeout(r, 0))
        }
      })()
      for (let i = 0; i < 200; i++) await store.write(daemonState('a', { pid: 1000 + i, pipeline_file: `/srv/${'p'.repeat(i * 20)}.json` }))
      writing = false
      await reads
      expect(seen.filter((s) => s !== 'ok')).toEqual([])
      expect((await store.read()).state!.pid).toBe(1199)
    }), 30_000)

  it('removes only its own instance - remove', () =>
    withState(async ({ store }) => {
      await store.create(daemonState('a'))
      await store.remove('b')
      expect((await store.read()).state!.instance_id).toBe('a')
      await store.remove('a')
      expect(await store.read()).toEqual({ state: null })
      await store.remove('a')
      expect(await store.create(daemonState('c'))).toBe(true)
    }))

  it('reports a corrupt state and moves it aside - quarantine', () =>
    withState(async ({ store, corrupt }) => {
      expect(await store.quarantine()).toBeNull()
      await store.create(daemonState('a'))
      await corrupt()
      const read = await store.read()
      expect(read.state).toBeNull()
      expect(typeof (read as { corrupt?: string }).corrupt).toBe('string')
      expect(typeof (await store.quarantine())).toBe('string')
      expect(await store.read()).toEqual({ state: null })
      expect(await store.create(daemonState('b'))).toBe(true)
    }))

  it('returns the value of fn - withLock', () =>
    withState(async ({ store }) => {
      expect(await store.withLock(async () => 42)).toBe(42)
    }))

  it('excludes a second holder until the first releases - two handles', () =>
    withState(async ({ store, other }) => {
      const o = other()
      let release!: () => void
      let entered!: () => void
      const inside = new Promise<void>((r) => (entered = r))
      const first = store.withLock(async () => {
        entered()
        await new Promise<void>((r) => (release = r))
        return 'first'
      })
      await inside
      const err = await o.withLock(async () => 'second', 100).catch((e: Error) => e)
      expect((err as Error).name).toBe('LockTimeoutError')
      release()
      expect(await first).toBe('first')
      expect(await o.withLock(async () => 'second', 1000)).toBe('second')
    }))

  it('runs holders one at a time - 6 concurrent withLock calls on two handles', () =>
    withState(async ({ store, other }) => {
      const o = other()
      let inside = 0
      let most = 0
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? o : store).withLock(async () => {
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
    withState(async ({ store, other }) => {
      const boom = new Error('boom')
      await expect(store.withLock(async () => Promise.reject(boom))).rejects.toBe(boom)
      expect(await other().withLock(async () => 'free', 500)).toBe('free')
    }))

  it('breaks a lock whose holder is dead - crashed holder', () =>
    withState(async ({ store, plantDeadLock }) => {
      await plantDeadLock()
      expect(await store.withLock(async () => 'taken', 5000)).toBe('taken')
      // ...and the broken lock is not left behind for the next caller.
      expect(await store.withLock(async () => 'again', 500)).toBe('again')
    }))
}
