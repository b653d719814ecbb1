import type { DaemonStatus, RunRecord } from './ports.js'
import { createTicker } from './schedule.js'

export interface DeadManVerdict {
  healthy: boolean
  reason: string
  last_success_at: string | null
  /** The age allowed by `?max_age_seconds=`, or null when the schedule decides. */
  max_age_seconds: number | null
  /** A success must have finished after this time (ISO), or null when nothing is due yet. */
  expected_since: string | null
}

/**
 * The dead-man check for an uptime monitor. Healthy while the pipeline runs and its last success
 * is recent: with `maxAgeSeconds`, within that many seconds; otherwise after the schedule's
 * second-to-last fire time, so one failed or missed run is tolerated and quiet periods of a cron
 * schedule (weekends of `30 9 * * 1-5`) are not. A pipeline started after that time, or paused,
 * is given the benefit of the doubt.
 */
export function checkRecentSuccess(status: DaemonStatus, runs: RunRecord[], now: Date, maxAgeSeconds?: number): DeadManVerdict {
  const lastSuccess = runs.find((r) => r.status === 'success')
  const last_success_at = lastSuccess?.finished_at ?? null
  const verdict = (healthy: boolean, reason: string, expected: Date | null): DeadManVerdict => ({
    healthy,
    reason,
    last_success_at,
    max_age_seconds: maxAgeSeconds ?? null,
    expected_since: expected?.toISOString() ?? null,
  })
  if (!status.is_running || !status.schedule || !status.started_at) return verdict(false, 'Daemon is not running', null)
  if (status.paused) return verdict(true, 'The pipeline is paused: no run is expected', null)
  const ageOf = (iso: string) => Math.round((now.getTime() - Date.parse(iso)) / 1000)
  const expected = maxAgeSeconds !== undefined ? new Date(now.getTime() - maxAgeSeconds * 1000) : secondToLastTick(status, now)
  const startedAt = new Date(status.started_at)
  if (last_success_at && (!expected || Date.parse(last_success_at) >= expected.getTime())) {
    return verdict(true, `Last success ${ageOf(last_success_at)}s ago`, expected)
  }
  if (!expected || startedAt.getTime() >= expected.getTime()) {
    return verdict(true, 'Daemon started recently; no successful run is due yet', expected)
  }
  if (maxAgeSeconds !== undefined) {
    const why = last_success_at ? `Last successful run was ${ageOf(last_success_at)}s ago (more than ${maxAgeSeconds}s)` : `No successful run in the last ${maxAgeSeconds}s`
    return verdict(false, why, expected)
  }
  const since = `none since ${expected.toISOString()}, the tick before the last one`
  const why = last_success_at ? `Last successful run was ${ageOf(last_success_at)}s ago (${since})` : `No successful run (${since})`
  return verdict(false, why, expected)
}

/** The fire time before the latest one at or before `now`; null when the schedule has not fired twice. */
function secondToLastTick(status: DaemonStatus, now: Date): Date | null {
  const ticker = createTicker(status.schedule!, new Date(status.started_at!))
  return ticker.previous(now, 2)[1] ?? null
}
