import { closeSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { daemonArgv } from '../../src/daemon/argv.js'
import type { DaemonLauncher } from '../../src/ports.js'
import { INSTANCE_ENV } from '../../src/ports.js'
import { openNoFollowSync, readTextNoFollow } from './no-follow.js'
import { daemonStderrPath } from './state-paths.js'

/** How a runtime starts a process in its own session, stderr to `stderrFd`; resolves with its exit code. */
export type SpawnDetached = (argv: string[], env: Record<string, string | undefined>, stderrFd: number) => { pid: number; exited: Promise<number | null> }

export interface LauncherOptions {
  /** The runtime binary and the daemon entry script it runs. */
  execPath: string
  daemonScript: string
  spawnDetached: SpawnDetached
}

/**
 * Starts the daemon detached, in its own process group and session, so it outlives the API
 * server. Its stderr goes to STATE_DIR/daemon.stderr: the last line says why it could not start.
 */
export function createDaemonLauncher(options: LauncherOptions): DaemonLauncher {
  return {
    async launch(settings) {
      await mkdir(settings.state_dir, { recursive: true })
      const errFile = daemonStderrPath(settings.state_dir)
      const errFd = openNoFollowSync(errFile, 'replace')
      // The daemon carries no pipeline's marker: each pipeline's steps get their own.
      const env = { ...process.env, [INSTANCE_ENV]: undefined }
      let child: ReturnType<SpawnDetached>
      try {
        child = options.spawnDetached([options.execPath, options.daemonScript, ...daemonArgv(settings)], env, errFd)
      } finally {
        closeSync(errFd)
      }
      const exited = child.exited.then(async (code) => ({ code, stderr: (await readTextNoFollow(errFile).catch(() => null)) ?? '' }))
      return { pid: child.pid, exited }
    },
  }
}
