import type { Context } from 'hono'
import { getConnInfo } from 'hono/bun'
import type { Config } from '../../src/config.js'
import { createNodeDocsAssets } from '../posix/docs-assets.js'
import { createFileLogStore } from '../posix/log-store.js'
import { createDaemonLauncher } from '../posix/launcher.js'
import { wireLocalDeps, type LocalDeps } from '../posix/local-deps.js'
import { bunSpawnDetached, defaultBunDaemonScript } from './launcher.js'

/** Bun's ports: the shared files, socket and /proc pieces, with Bun.spawn for the daemon and its steps. */
export function createDeps(config: Config): LocalDeps {
  const deps = wireLocalDeps(config, {
    runtime: 'bun',
    // The daemon started from the Bun server runs under Bun too.
    launcher: () => createDaemonLauncher({ execPath: process.execPath, daemonScript: defaultBunDaemonScript(), spawnDetached: bunSpawnDetached }),
    // Whole-file reads stay on node:fs streams: Bun 1.4.5's Bun.file().stream() never yields to the
    // event loop while it is read (a 50 MB GET /api/cron/logs held /health for 0.7-2.5 s; BENCHMARKS.md).
    logs: (file, keep) => createFileLogStore(file, keep),
    clientAddress: bunClientAddress,
  })
  // The docs assets are plain files found through node's resolver, which Bun implements.
  return Object.assign(deps, { docsAssets: createNodeDocsAssets() })
}

export function bunClientAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address
  } catch {
    return undefined
  }
}
