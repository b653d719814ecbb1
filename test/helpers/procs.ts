import { readFileSync, readdirSync } from 'node:fs'

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

/** Live pids whose environment holds `NAME=value` (how tests find a daemon's whole tree). */
export function pidsWithEnv(name: string, value: string): number[] {
  const marker = `${name}=${value}`
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0')
      if (env.includes(marker) && isAlive(Number(entry))) out.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return out
}

/** SIGKILLs each pid (a test cleaning up what it started), ignoring the ones already gone. */
export function killAll(pids: number[]) {
  for (const pid of pids) {
    if (!(pid > 1)) continue
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}
