import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { SpawnDetached } from '../posix/launcher.js'

/** Node's way to start the daemon: child_process.spawn, detached (setsid), not waited for. */
export const spawnDetached: SpawnDetached = (argv, env, stderrFd) => {
  const [cmd, ...args] = argv
  const child = spawn(cmd!, args, { detached: true, stdio: ['ignore', 'ignore', stderrFd], env })
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null))
    child.once('exit', (code) => resolve(code))
  })
  child.unref()
  return { pid: child.pid ?? -1, exited }
}

/** dist/daemon.js next to this bundle, or the built one when running from the source tree. */
export function defaultDaemonScript(): string {
  const here = fileURLToPath(new URL('.', import.meta.url))
  const candidates = [join(here, 'daemon.js'), join(here, '..', '..', 'dist', 'daemon.js')]
  const found = candidates.find((p) => existsSync(p))
  if (!found) throw new Error(`pipeline-cron: daemon entry not found (looked for ${candidates.join(', ')}); run npm run build`)
  return found
}
