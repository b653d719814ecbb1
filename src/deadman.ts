import type { DaemonStatus, RunRecord } from './ports.js'
import { createTicker } from './schedule.js'

export interface Health {
  healthy: boolean
  reason: string
  last_success_at: string | null
  max_age_seconds: number | null
}

/**
 * The dead-man check: healthy while the daemon runs and the last success is recent (within
 * `maxAgeSeconds`, by default two schedule periods). A daemon younger than that with no success
 * yet is given the benefit of the doubt.
 */
export function assessHealth(status: DaemonStatus, runs: RunRecord[], now: Date, maxAgeSeconds?: number): Health {
  const lastSuccess = runs.find((r) => r.status === 'success')
  const last_success_at = lastSuccess?.finished_at ?? null
  if (!status.is_running || !status.schedule || !status.started_at) {
    return { healthy: false, reason: 'Daemon is not running', last_success_at, max_age_seconds: maxAgeSeconds ?? null }
  }
  const maxAge = maxAgeSeconds ?? 2 * periodSeconds(status, now)
  const ageOf = (iso: string) => (now.getTime() - Date.parse(iso)) / 1000
  if (last_success_at && ageOf(last_success_at) <= maxAge) {
    return { healthy: true, reason: `Last success ${Math.round(ageOf(last_success_at))}s ago`, last_success_at, max_age_seconds: maxAge }
  }
  if (ageOf(status.started_at) <= maxAge) {
    return { healthy: true, reason: 'Daemon started recently; no successful run is due yet', last_success_at, max_age_seconds: maxAge }
  }
  const why = last_success_at
    ? `Last successful run was ${Math.round(ageOf(last_success_at))}s ago (more than ${maxAge}s)`
    : `No successful run in the last ${maxAge}s`
  return { healthy: false, reason: why, last_success_at, max_age_seconds: maxAge }
}

/** Seconds between runs: the interval, or the gap between a cron schedule's next two times. */
function periodSeconds(status: DaemonStatus, now: Date): number {
  const schedule = status.schedule!
  if (schedule.type === 'interval') return schedule.interval_seconds
  const ticker = createTicker(schedule, now)
  const a = ticker.next(now)
  const b = a ? ticker.next(a) : null
  return a && b ? (b.getTime() - a.getTime()) / 1000 : 24 * 3600
}
