import type { ProcessControl } from '../ports.js'

/**
 * Ends every process that carries a pipeline's marker. Frozen first (SIGSTOP), then killed, and
 * scanned again, until a scan finds none: a process that respawns itself cannot fork while frozen.
 * Returns what was killed and what was still there when the rounds ran out.
 */
export async function sweepTagged(
  procs: ProcessControl,
  instanceId: string,
  opts: { rounds?: number; exclude?: number[]; pauseMs?: number } = {},
): Promise<{ killed: number[]; survivors: number[] }> {
  const killed = new Set<number>()
  const exclude = new Set(opts.exclude ?? [])
  for (let round = 0; round < (opts.rounds ?? 20); round++) {
    const found = (await procs.findTagged(instanceId)).filter((pid) => !exclude.has(pid))
    if (found.length === 0) return { killed: [...killed], survivors: [] }
    for (const pid of found) procs.signal(pid, 'SIGSTOP')
    for (const pid of found) {
      procs.signal(pid, 'SIGKILL')
      killed.add(pid)
    }
    await new Promise((resolve) => setTimeout(resolve, opts.pauseMs ?? 10))
  }
  const left = (await procs.findTagged(instanceId)).filter((pid) => !exclude.has(pid))
  return { killed: [...killed].filter((pid) => !left.includes(pid)), survivors: left }
}
