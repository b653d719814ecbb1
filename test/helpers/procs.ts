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

/**
 * The daemons of a state dir: live processes whose command line holds `--state-dir=<dir>`.
 * A step the daemon has forked but not yet exec'd briefly shows the daemon's own command line;
 * such a child (same command line as its parent) is not a second daemon and is left out.
 */
export function daemonPidsOf(stateDir: string): number[] {
  const needle = `--state-dir=${stateDir}`
  const cmdlines = new Map<number, string>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if (cmdline.split('\0').includes(needle) && isAlive(Number(entry))) cmdlines.set(Number(entry), cmdline)
    } catch {
      // gone meanwhile
    }
  }
  return [...cmdlines.keys()].filter((pid) => cmdlines.get(parentOf(pid) ?? -1) !== cmdlines.get(pid))
}

function parentOf(pid: number): number | null {
  try {
    const m = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}
