/**
 * A daemon of pipeline-cron 0.1 (one daemon per pipeline, before the supervisor) that still runs
 * on a state dir this version now serves. Its state.json has another shape, but its command line
 * carries `--instance=<id>` as ours does: it is recognised by the same identity check, reported as
 * running, refused a second daemon beside it, and stopped on request, never taken for a corrupt
 * file and quarantined (which left it running unseen beside a new daemon).
 */
import { z } from 'zod'
import type { JsonFile, ProcessControl } from '../ports.js'
import { sweepTree } from '../daemon/sweep.js'

/** What this version reads of a 0.1 state.json: the daemon's pid and instance id (also its steps' marker). */
export const earlierStateSchema = z.object({ pid: z.number().int(), instance_id: z.string(), started_at: z.string() })
export type EarlierState = z.infer<typeof earlierStateSchema>

/** The 0.1 daemon a state file names, if it is alive and ours; null otherwise. */
export async function findEarlierDaemon(file: JsonFile<EarlierState>, procs: ProcessControl): Promise<EarlierState | null> {
  const { value } = await file.read()
  if (!value) return null
  return (await procs.identify(value.pid, value.instance_id)) === 'ours' ? value : null
}

export function earlierDaemonMessage(pid: number): string {
  return `Daemon is running (PID: ${pid}): a pipeline-cron 0.1 daemon, which this version only stops; stop it, then start the pipeline again`
}

/**
 * Stops it as 0.1's own server did: SIGTERM (it cancels its run and ends its step's group), then
 * SIGKILL past the grace; then its tree is swept by the marker its steps inherited.
 */
export async function stopEarlierDaemon(
  daemon: EarlierState,
  parts: { procs: ProcessControl; graceMs: number; sleep: (ms: number) => Promise<void>; now: () => number },
): Promise<{ survivors: number[]; forced: boolean }> {
  const { procs } = parts
  const alive = async () => (await procs.identify(daemon.pid, daemon.instance_id)) === 'ours'
  procs.signal(daemon.pid, 'SIGTERM')
  const deadline = parts.now() + parts.graceMs + 5000
  while ((await alive()) && parts.now() < deadline) await parts.sleep(20)
  const forced = await alive()
  if (forced) procs.signal(daemon.pid, 'SIGKILL')
  const { killed, left } = await sweepTree(procs, daemon.instance_id)
  return { survivors: [...killed, ...left], forced }
}
