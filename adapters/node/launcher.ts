import { spawn } from 'node:child_process'
import { existsSync, closeSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DaemonLauncher } from '../../src/ports.js'
import type { Schedule } from '../../src/schedule.js'
import { INSTANCE_ENV } from '../../src/ports.js'
import { openNoFollowSync, readTextNoFollow } from './no-follow.js'

export interface LauncherOptions {
  /** The runtime binary and the daemon entry script it runs. */
  execPath: string
  daemonScript: string
  stateDir: string
  logFile: string
  pipelineFile: string
  logMaxBytes: number
  logKeep: number
  graceMs: number
  runsKeep: number
}

/**
 * Spawns the daemon detached, in its own process group and session, so it outlives the API
 * server. Its instance id rides on the command line (`--instance=<id>`) for identity checks,
 * and in the environment, which every step inherits, for the tree sweep.
 */
export function createLauncher(o: LauncherOptions): DaemonLauncher {
  return {
    async launch({ instanceId, schedule, runImmediately }) {
      await mkdir(o.stateDir, { recursive: true })
      const errFile = join(o.stateDir, 'daemon.stderr')
      const errFd = openNoFollowSync(errFile, 'replace')
      const args = daemonArgv(o, instanceId, schedule, runImmediately)
      const child = spawn(o.execPath, args, {
        detached: true,
        stdio: ['ignore', 'ignore', errFd],
        env: { ...process.env, [INSTANCE_ENV]: instanceId },
      })
      closeSync(errFd)
      const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => {
        child.once('error', (err) => resolve({ code: null, stderr: err.message }))
        child.once('exit', async (code) => resolve({ code, stderr: await daemonStderr(errFile) }))
      })
      child.unref()
      return { pid: child.pid ?? -1, exited }
    },
  }
}

/** What the daemon wrote to STATE_DIR/daemon.stderr before it exited (never read through a symlink). */
export async function daemonStderr(errFile: string): Promise<string> {
  return (await readTextNoFollow(errFile).catch(() => null)) ?? ''
}

/** The daemon's command line; `--instance=<id>` is what identity checks look for. */
export function daemonArgv(o: LauncherOptions, instanceId: string, schedule: Schedule, runImmediately: boolean): string[] {
  return [
    o.daemonScript,
    `--instance=${instanceId}`,
    `--state-dir=${o.stateDir}`,
    `--log-file=${o.logFile}`,
    `--pipeline=${o.pipelineFile}`,
    `--schedule=${JSON.stringify(schedule)}`,
    `--run-immediately=${runImmediately ? 1 : 0}`,
    `--log-max-bytes=${o.logMaxBytes}`,
    `--log-keep=${o.logKeep}`,
    `--grace-ms=${o.graceMs}`,
    `--runs-keep=${o.runsKeep}`,
  ]
}

/** dist/daemon.js next to this bundle, or the built one when running from the source tree. */
export function defaultDaemonScript(): string {
  const here = fileURLToPath(new URL('.', import.meta.url))
  const candidates = [join(here, 'daemon.js'), join(here, '..', '..', 'dist', 'daemon.js')]
  const found = candidates.find((p) => existsSync(p))
  if (!found) throw new Error(`pipeline-cron: daemon entry not found (looked for ${candidates.join(', ')}); run npm run build`)
  return found
}
