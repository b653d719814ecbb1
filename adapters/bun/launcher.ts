import { closeSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { DaemonLauncher } from '../../src/ports.js'
import { INSTANCE_ENV } from '../../src/ports.js'
import { daemonArgv, daemonStderr, type LauncherOptions } from '../node/launcher.js'
import { openNoFollowSync } from '../node/no-follow.js'

/** Spawns the daemon under Bun (Bun.spawn, detached: its own session), so it outlives the server. */
export function createBunLauncher(o: LauncherOptions): DaemonLauncher {
  return {
    async launch({ instanceId, schedule, runImmediately }) {
      await mkdir(o.stateDir, { recursive: true })
      const errFile = join(o.stateDir, 'daemon.stderr')
      const errFd = openNoFollowSync(errFile, 'replace')
      const child = Bun.spawn({
        cmd: [o.execPath, ...daemonArgv(o, instanceId, schedule, runImmediately)],
        detached: true,
        stdin: 'ignore',
        stdout: 'ignore',
        stderr: errFd,
        env: { ...process.env, [INSTANCE_ENV]: instanceId },
      })
      closeSync(errFd)
      child.unref()
      const exited = child.exited.then(async (code) => ({ code, stderr: await daemonStderr(errFile) }))
      return { pid: child.pid, exited }
    },
  }
}
