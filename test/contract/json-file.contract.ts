import type { DaemonClaim } from '../../src/daemon/protocol.js'
import type { JsonFile } from '../../src/ports.js'
import type { ContractHarness } from './harness.js'

/** One JSON file under test, validated by daemonClaimSchema (STATE_DIR/daemon.json). */
export interface JsonFileFixture {
  file: JsonFile<DaemonClaim>
  /** Where it lives: a corrupt read names it. */
  path: string
  /** A second handle on the same file, as another process opens it. */
  other(): JsonFile<DaemonClaim>
  /** Leaves `text` in the file, as a torn write or a hand edit does. */
  plant(text: string): Promise<void>
  /** The text at `path` (e.g. where a quarantined file went), or null when there is none. */
  raw(path: string): Promise<string | null>
  cleanup(): Promise<void>
}

export interface JsonFileContract extends ContractHarness {
  make(): Promise<JsonFileFixture>
}

export function claim(instanceId: string, patch: Partial<DaemonClaim> = {}): DaemonClaim {
  return { pid: 4242, instance_id: instanceId, runtime: 'test', started_at: '2025-12-26T10:30:45.123Z', ...patch }
}

/** The JsonFile contract; every implementation, the in-memory one included, must pass it. */
export function jsonFileContract({ it, expect, make }: JsonFileContract) {
  const withFile = async (fn: (f: JsonFileFixture) => Promise<void>) => {
    const f = await make()
    try {
      await fn(f)
    } finally {
      await f.cleanup()
    }
  }

  it('reads no value - no file', () =>
    withFile(async ({ file }) => {
      expect(await file.read()).toEqual({ value: null })
    }))

  it('reads back every field of what was written, from any handle - write', () =>
    withFile(async ({ file, other }) => {
      await file.write(claim('a', { runtime: 'bun "quoted" ü' }))
      expect(await file.read()).toEqual({ value: claim('a', { runtime: 'bun "quoted" ü' }) })
      expect(await other().read()).toEqual({ value: claim('a', { runtime: 'bun "quoted" ü' }) })
    }))

  it('replaces the value - a second write', () =>
    withFile(async ({ file }) => {
      await file.write(claim('a'))
      await file.write(claim('b', { pid: 7 }))
      expect(await file.read()).toEqual({ value: claim('b', { pid: 7 }) })
    }))

  it('creates only when there is no file: a second create is false and changes nothing - create twice', () =>
    withFile(async ({ file, other }) => {
      expect(await file.create(claim('a'))).toBe(true)
      expect(await file.create(claim('b'))).toBe(false)
      expect(await other().create(claim('c'))).toBe(false)
      expect((await file.read()).value!.instance_id).toBe('a')
    }))

  it('lets exactly one of many concurrent creates win - two handles racing', () =>
    withFile(async ({ file, other }) => {
      const o = other()
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? o : file).create(claim(`i${i}`))))
      expect(results.filter(Boolean)).toHaveLength(1)
      expect((await file.read()).value!.instance_id).toBe(`i${results.indexOf(true)}`)
    }))

  it('reads no value after a remove, and removes a missing file without an error - remove', () =>
    withFile(async ({ file }) => {
      await file.write(claim('a'))
      await file.remove()
      expect(await file.read()).toEqual({ value: null })
      await file.remove()
      expect(await file.create(claim('b'))).toBe(true)
    }))

  it('reports the file as corrupt, naming it - invalid JSON (a torn write)', () =>
    withFile(async ({ file, path, plant }) => {
      await plant('{"pid": 42, "instance_')
      const read = await file.read()
      expect(read.value).toBeNull()
      expect((read as { corrupt: string }).corrupt).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: invalid JSON`))
    }))

  it('reports the file as corrupt, naming the field - a value of the wrong shape', () =>
    withFile(async ({ file, plant }) => {
      await plant(JSON.stringify({ ...claim('a'), pid: 'not a number' }))
      const read = await file.read()
      expect(read.value).toBeNull()
      expect((read as { corrupt: string }).corrupt).toMatch(/: pid: /)
    }))

  it('moves an unreadable file aside with its text, then reads no value - quarantine', () =>
    withFile(async ({ file, plant, raw }) => {
      expect(await file.quarantine()).toBeNull()
      await plant('garbage')
      const to = await file.quarantine()
      expect(typeof to).toBe('string')
      expect(await raw(to!)).toBe('garbage')
      expect(await file.read()).toEqual({ value: null })
      expect(await file.create(claim('b'))).toBe(true)
    }))

  it('never shows a reader a half-written value - 200 writes during reads', () =>
    withFile(async ({ file, other }) => {
      await file.write(claim('a'))
      const reader = other()
      let writing = true
      const seen: string[] = []
      const reads = (async () => {
        while (writing) {
          const r = await reader.read()
          seen.push('corrupt' in r ? `corrupt: ${r.corrupt}` : r.value === null ? 'missing' : 'ok')
          // A macrotask turn: a file read synchronously would otherwise starve the writes' I/O.
          await new Promise((resolve) => setTimeout(resolve, 0))
        }
      })()
      for (let i = 0; i < 200; i++) await file.write(claim('a', { pid: 1000 + i, runtime: 'r'.repeat(i * 20) }))
      writing = false
      await reads
      expect(seen.filter((s) => s !== 'ok')).toEqual([])
      expect((await file.read()).value!.pid).toBe(1199)
    }), 30_000)
}
