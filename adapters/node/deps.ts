import type { Context } from 'hono'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Config } from '../../src/config.js'
import { createDaemonLauncher } from '../posix/launcher.js'
import { wireLocalDeps, type LocalDeps } from '../posix/local-deps.js'
import { createNodeDocsAssets } from '../posix/docs-assets.js'
import { defaultDaemonScript, spawnDetached } from './launcher.js'
import { createFileLogStore } from '../posix/log-store.js'

/** Everything `createApp` needs on Node: pipelines from files, the daemon over its socket, /proc. */
export function createDeps(config: Config, options: { execPath?: string; daemonScript?: string } = {}): LocalDeps {
  const deps = wireLocalDeps(config, {
    runtime: 'node',
    launcher: () => createDaemonLauncher({ execPath: options.execPath ?? process.execPath, daemonScript: options.daemonScript ?? defaultDaemonScript(), spawnDetached }),
    logs: (file, keep) => createFileLogStore(file, keep),
    clientAddress: nodeClientAddress,
  })
  return Object.assign(deps, { docsAssets: createNodeDocsAssets() })
}

export function nodeClientAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address
  } catch {
    return undefined
  }
}
