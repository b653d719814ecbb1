/**
 * A schedule and its human text, without croner: the dashboard's browser bundle imports this
 * module, so it must not pull the cron engine in.
 */
import { counted } from './plural.js'

/** How the daemon is scheduled: every N seconds, or on a cron expression. */
export type Schedule =
  | { type: 'interval'; interval_seconds: number }
  | { type: 'cron'; cron: string; timezone: string | null }

/** Human text used in start messages, logs and the dashboard: `interval: 60 seconds`, `cron: 0 * * * * (UTC)`. */
export function describeSchedule(schedule: Schedule): string {
  if (schedule.type === 'interval') return `interval: ${counted(schedule.interval_seconds, 'second')}`
  return `cron: ${schedule.cron}${schedule.timezone ? ` (${schedule.timezone})` : ''}`
}
