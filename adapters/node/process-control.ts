import { readFileSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import type { ProcessControl } from '../../src/ports.js'
import { INSTANCE_ENV } from '../../src/ports.js'

/**
 * Process-table access through /proc (Linux). A pid is ours only while its command line
 * carries `--instance=<id>`; pids 0 and 1 and negative numbers are never signalled.
 */
export const procfs: ProcessControl = {
  async identify(pid, instanceId) {
    if (!isSignallable(pid)) return 'gone'
    const stat = readProc(`/proc/${pid}/stat`)
    if (stat === null) return 'gone'
    // Field 3, after the parenthesised command name (which may itself contain spaces).
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    if (state === 'Z' || state === 'X') return 'gone'
    const cmdline = readProc(`/proc/${pid}/cmdline`)
    if (cmdline === null) return 'gone'
    return cmdline.split('\0').includes(`--instance=${instanceId}`) ? 'ours' : 'foreign'
  },

  signal(pid, signal) {
    if (!isSignallable(pid)) return false
    return send(pid, signal)
  },

  signalGroup(pgid, signal) {
    if (!isSignallable(pgid)) return false
    return send(-pgid, signal)
  },

  async findTagged(instanceId) {
    const marker = `${INSTANCE_ENV}=${instanceId}`
    const found: number[] = []
    const entries = await readdir('/proc').catch(() => [] as string[])
    await Promise.all(
      entries.map(async (name) => {
        if (!/^\d+$/.test(name)) return
        const env = await readFile(`/proc/${name}/environ`, 'latin1').catch(() => null)
        if (env && env.split('\0').includes(marker)) found.push(Number(name))
      }),
    )
    return found.sort((a, b) => a - b)
  },
}

function isSignallable(pid: number): boolean {
  return Number.isInteger(pid) && pid > 1
}

function send(target: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(target, signal)
    return true
  } catch {
    return false
  }
}

// Synchronous: /proc never waits for a disk, and fs/promises costs ~7x the CPU (thread-pool round trips).
function readProc(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}
