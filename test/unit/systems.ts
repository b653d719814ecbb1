/** Memory systems for a file's tests, and the start requests they use most. */
import { afterEach } from 'vitest'
import type { StartResult } from '../../src/ports.js'
import { createMemorySystem, type MemorySystem, type MemorySystemOptions } from '../fakes/system.js'

/** `system()` makes a memory system that ends after the test that made it. */
export function systemsPerTest(): (options?: MemorySystemOptions) => MemorySystem {
  let systems: MemorySystem[] = []
  afterEach(async () => {
    // Every server goes first, so none restarts a daemon another one's shutdown kills.
    for (const s of systems) s.close()
    for (const s of systems) await s.shutdown()
    systems = []
  })
  return (options = {}) => {
    const s = createMemorySystem(options)
    systems.push(s)
    return s
  }
}

export const EVERY_MINUTE = { schedule: { type: 'interval' as const, interval_seconds: 60 }, runImmediately: true }
export const QUIET = { ...EVERY_MINUTE, runImmediately: false }
// The local mode always has a daemon pid (only cluster mode reports none).
export const pidOf = (r: StartResult) => r.pid!
