import type { Context } from 'hono'
import { getConnInfo } from 'hono/bun'
import { fileURLToPath } from 'node:url'
import type { Config } from '../../src/config.js'
import { wireDeps, type NodeDeps } from '../node/deps.js'
import { createNodeDocsAssets } from '../node/docs-assets.js'
import { createBunLauncher } from './launcher.js'
import { createBunLogStore } from './log-store.js'

/** Bun's ports: the shared state/runs/`/proc` pieces, with Bun.spawn where it helps. */
export function createDeps(config: Config): NodeDeps {
  const deps = wireDeps(config, {
    launcher: createBunLauncher,
    logs: (file, keep) => createBunLogStore(file, keep),
    // The daemon started from the Bun server runs under Bun too.
    execPath: process.execPath,
    daemonScript: fileURLToPath(new URL('./daemon.ts', import.meta.url)),
    clientAddress: bunClientAddress,
  })
  // The docs assets are plain files found through node's resolver, which Bun implements.
  return { ...deps, docsAssets: createNodeDocsAssets() }
}

function bunClientAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address
  } catch {
    return undefined
  }
}
