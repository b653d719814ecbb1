/**
 * Keeps the daemon running while any pipeline should run: launches it on the first start,
 * brings it back after a crash (kill -9, OOM) within seconds, and gives up after too many crashes
 * in a row, saying so. At server start it resumes what was running before (a reboot), unless told not to.
 */
import { ApiError } from '../errors.js'
import type { DaemonLauncher, Lock, ProcessControl } from '../ports.js'
import type { DaemonSettings, DesiredState } from '../daemon/protocol.js'
import type { DaemonInfo, DaemonLink } from './daemon-link.js'

export interface KeeperOptions {
  link: DaemonLink
  launcher: DaemonLauncher
  lock: Lock
  procs: ProcessControl
  /** The daemon's settings but its instance id, which is new at each launch. */
  settings: Omit<DaemonSettings, 'instance_id'>
  /** Every pipeline's desired state on disk. */
  desiredStates: () => Promise<DesiredState[]>
  /** Marks the given pipeline stopped on disk (used by `--no-resume`). */
  markStopped: (desired: DesiredState) => Promise<void>
  /** Ends what a dead daemon left of a pipeline: its `running` run, its orphans, its state file. */
  reconcile: (desired: DesiredState, why: string) => Promise<void>
  /** Appends a line to a pipeline's log. */
  note: (desired: DesiredState, text: string) => void
  /** Resume pipelines that were started when the server last ran (default true). */
  resume?: boolean
  maxRestarts?: number
  windowMs?: number
  startTimeoutMs?: number
  now?: () => Date
  sleep?: (ms: number) => Promise<void>
  pollMs?: number
}

export interface CrashLoop {
  since: string
  restarts: number
  detail: string
}

export interface Keeper {
  /** At server start: connect to the daemon, or resume (or clean up) what was running. */
  init(): Promise<void>
  /** Connects to the daemon, launching it if none runs. The caller holds the lock. */
  ensureDaemon(): Promise<DaemonInfo>
  /** Set when the daemon kept crashing and is no longer restarted, until the next start. */
  crashLoop(): CrashLoop | null
  /** How many times this server restarted a daemon that died. */
  restarts(): number
  /** Stops restarting (the server is shutting down). */
  close(): void
}

// Waits before each restart within the window: a daemon that dies at once is not respawned in a tight loop.
const BACKOFF_MS = [200, 500, 1000, 2000, 4000]

export function createKeeper(options: KeeperOptions): Keeper {
  const now = options.now ?? (() => new Date())
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const maxRestarts = options.maxRestarts ?? 5
  const windowMs = options.windowMs ?? 60_000
  const recent: number[] = []
  let total = 0
  let loop: CrashLoop | null = null
  let closed = false

  options.link.onDown((daemon) => {
    if (!closed) void recover(daemon).catch((err) => console.error('pipeline-cron: could not restart the daemon:', err))
  })

  async function started(): Promise<DesiredState[]> {
    return (await options.desiredStates()).filter((d) => d.state === 'started')
  }

  async function recover(dead: DaemonInfo) {
    const inWindow = recent.filter((t) => now().getTime() - t < windowMs)
    await sleep(BACKOFF_MS[Math.min(inWindow.length, BACKOFF_MS.length - 1)]!)
    if (closed) return
    await options.lock.withLock(async () => {
      if (await options.link.connect(true)) return // another server already brought it back
      const wanted = await started()
      const why = 'the daemon died during the run'
      if (wanted.length === 0) return
      recent.splice(0, recent.length, ...recent.filter((t) => now().getTime() - t < windowMs))
      if (recent.length >= maxRestarts) {
        loop = { since: now().toISOString(), restarts: recent.length, detail: `Daemon died ${recent.length + 1} times within ${Math.round(windowMs / 1000)}s; not restarted (start a pipeline to try again)` }
        for (const desired of wanted) {
          await options.reconcile(desired, why)
          options.note(desired, `${loop.detail} (last PID: ${dead.pid})`)
        }
        return
      }
      recent.push(now().getTime())
      total++
      for (const desired of wanted) options.note(desired, `Daemon died unexpectedly (PID: ${dead.pid}); restarting it (restart ${recent.length} of ${maxRestarts} allowed per minute)`)
      await ensureDaemon()
    })
  }

  async function ensureDaemon(): Promise<DaemonInfo> {
    if (await options.link.connect(true)) return options.link.daemon()!
    loop = null
    const instanceId = crypto.randomUUID()
    const launched = await options.launcher.launch({ ...options.settings, instance_id: instanceId })
    let exit: { code: number | null; stderr: string } | null = null
    void launched.exited.then((e) => (exit = e))
    const deadline = now().getTime() + (options.startTimeoutMs ?? 15_000)
    for (;;) {
      if ((await options.link.connect(true)) && options.link.daemon()?.instance_id === instanceId) return options.link.daemon()!
      const ended = exit as { code: number | null; stderr: string } | null
      if (ended) {
        const why = ended.stderr.trim().split('\n').pop() || `exit code ${ended.code}`
        throw new ApiError(500, `Daemon failed to start: ${why}`)
      }
      if (now().getTime() >= deadline) {
        // Only the process we just launched, checked by its instance id, is ended.
        if ((await options.procs.identify(launched.pid, instanceId)) === 'ours') options.procs.signalGroup(launched.pid, 'SIGKILL')
        throw new ApiError(500, 'Daemon failed to start: it did not report ready in time')
      }
      await sleep(options.pollMs ?? 20)
    }
  }

  return {
    ensureDaemon,
    crashLoop: () => loop,
    restarts: () => total,
    close: () => void (closed = true),
    async init() {
      if (await options.link.connect(true)) return
      // Most starts find nothing to resume: the lock (a file write) is taken only when there is.
      const found = await options.desiredStates()
      if (!found.some((d) => d.state === 'started')) return
      await options.lock.withLock(async () => {
        if (await options.link.connect(true)) return
        const all = await options.desiredStates()
        for (const desired of all) await options.reconcile(desired, 'the daemon died during the run')
        const wanted = all.filter((d) => d.state === 'started')
        if (wanted.length === 0) return
        if (options.resume === false) {
          for (const desired of wanted) {
            await options.markStopped(desired)
            options.note(desired, 'Not resumed after restart (--no-resume): the pipeline is stopped')
          }
          return
        }
        await ensureDaemon()
      })
    },
  }
}
