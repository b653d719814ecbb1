import { createFileLogStore } from '../node/log-store.js'

/**
 * The file log store, which Bun runs natively. Whole-file reads stay on node:fs streams:
 * Bun 1.4.5's Bun.file().stream() never yields to the event loop while it is read, so a
 * 50 MB GET /api/cron/logs held /health for 0.7-2.5 s and ran at 18-41 MB/s, against
 * 34-337 ms and 34-97 MB/s through node:fs (bench section 2, BENCHMARKS.md).
 */
export function createBunLogStore(logFile: string, keep: number, opts: { pollMs?: number } = {}) {
  return createFileLogStore(logFile, keep, opts)
}
