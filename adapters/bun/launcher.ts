import type { SpawnDetached } from '../posix/launcher.js'

/** Bun's way to start the daemon: Bun.spawn, detached (its own session), not waited for. */
export const bunSpawnDetached: SpawnDetached = (argv, env, stderrFd) => {
  const child = Bun.spawn({ cmd: argv, detached: true, stdin: 'ignore', stdout: 'ignore', stderr: stderrFd, env })
  child.unref()
  return { pid: child.pid, exited: child.exited }
}
