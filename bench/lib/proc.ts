import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { BUN } from '../../test/helpers/server.js'
import { MB } from './stats.js'

/** Resident memory of a process in MB (VmRSS), or NaN when it is gone. */
export function rssMB(pid: number): number {
  return statusField(pid, 'VmRSS')
}

/** Peak resident memory since the process started, in MB (VmHWM). */
export function peakRssMB(pid: number): number {
  return statusField(pid, 'VmHWM')
}

/** User + system CPU time of a process, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
}

/** Samples VmRSS of `pids` every `everyMs` until stopped; returns each pid's peak in MB. */
export function sampleRss(pids: number[], everyMs = 10) {
  const peaks = new Map<number, number>(pids.map((p) => [p, rssMB(p)]))
  const timer = setInterval(() => {
    for (const p of pids) {
      const v = rssMB(p)
      if (v > (peaks.get(p) ?? 0)) peaks.set(p, v)
    }
  }, everyMs)
  return {
    stop(): Map<number, number> {
      clearInterval(timer)
      return peaks
    },
  }
}

export function loadAvg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
}

/** What the figures were measured on. */
export function describeMachine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown'
  return {
    cpu: model,
    cores: cpus().length,
    memory_gb: Math.round((totalmem() / MB / 1024) * 10) / 10,
    kernel: release(),
    node: process.version,
    bun: execFileSync(BUN, ['--version'], { encoding: 'utf8' }).trim(),
  }
}

// Linux reports CPU times in clock ticks; USER_HZ is 100 on every mainstream build.
const CLK_TCK = 100

function statusField(pid: number, field: string): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]
    return kb ? Number(kb) / 1024 : NaN
  } catch {
    return NaN
  }
}
