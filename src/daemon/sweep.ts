import type { ProcessControl } from '../ports.js'

export interface SweepOptions {
  /** Pids never signalled, though they carry the marker (the daemon sweeping its own tree). */
  spare?: readonly number[]
  /** Consecutive scans that must find nothing before the tree counts as gone. Default 3. */
  quietScans?: number
  /** Bounds on the whole sweep: whatever is still found then is returned as `left`. Default 200 rounds, 2000 ms. */
  maxRounds?: number
  timeoutMs?: number
  /** Pause before rescanning when a round found only pids already killed (they are still exiting). Default 10 ms. */
  pollMs?: number
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

export interface SweepResult {
  /** Pids that received SIGKILL from this sweep. */
  killed: number[]
  /** Pids still carrying the marker when the rounds or the time ran out. */
  left: number[]
}

/**
 * Ends every process carrying `instanceId`'s marker: scan, SIGSTOP all, SIGKILL all, rescan,
 * until `quietScans` scans in a row find none (bounded by rounds and time). A frozen process
 * cannot fork, and a child born during a scan turns up in the next, so a chain that re-launches
 * itself in a new session is ended too (one scan then SIGKILL let it run on: 152 generations
 * at the stop, 942 ten seconds later). Only pids `findTagged` reports, minus `spare`, are signalled.
 */
export async function sweepTree(procs: ProcessControl, instanceId: string, options: SweepOptions = {}): Promise<SweepResult> {
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const spare = new Set(options.spare ?? [])
  const quietScans = options.quietScans ?? 3
  const maxRounds = options.maxRounds ?? 200
  const deadline = now() + (options.timeoutMs ?? 2000)
  const scan = async () => (await procs.findTagged(instanceId)).filter((pid) => !spare.has(pid))
  const killed = new Set<number>()
  let quiet = 0

  for (let round = 0; round < maxRounds && now() < deadline; round++) {
    const found = await scan()
    if (found.length === 0) {
      // A member may fork and exit in the middle of a scan (the /proc scan misses such a chain in
      // ~1 of 20 scans under load): only repeated empty scans show that none is left.
      if (++quiet >= quietScans) return { killed: sorted(killed), left: [] }
      continue
    }
    quiet = 0
    const fresh = found.some((pid) => !killed.has(pid))
    // Freeze them all first, so none forks while the others are being killed.
    for (const pid of found) procs.signal(pid, 'SIGSTOP')
    for (const pid of found) if (procs.signal(pid, 'SIGKILL')) killed.add(pid)
    // New pids are chased at once; pids killed before are still exiting, so give them a moment.
    if (!fresh) await sleep(options.pollMs ?? 10)
  }
  const left = await scan()
  return { killed: sorted(killed).filter((pid) => !left.includes(pid)), left }
}

function sorted(pids: Iterable<number>): number[] {
  return [...pids].sort((a, b) => a - b)
}
