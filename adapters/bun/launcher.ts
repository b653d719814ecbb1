import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { SpawnDetached } from '../posix/launcher.js'

/** Bun's way to start the daemon: Bun.spawn, detached (its own session), not waited for. */
export const bunSpawnDetached: SpawnDetached = (argv, env, stderrFd) => {
  const child = Bun.spawn({ cmd: argv, detached: true, stdin: 'ignore', stdout: 'ignore', stderr: stderrFd, env })
  child.unref()
  return { pid: child.pid, exited: child.exited }
}

/** The daemon entry next to this module: dist/bun-daemon.js in the package, daemon.ts in the source tree. */
export function defaultBunDaemonScript(): string {
  const candidates = ['./bun-daemon.js', './daemon.ts'].map((name) => fileURLToPath(new URL(name, import.meta.url)))
  return candidates.find((path) => existsSync(path)) ?? candidates[1]!
}
