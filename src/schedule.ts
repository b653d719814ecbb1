import { Cron } from 'croner'
import type { Schedule } from './schedule-text.js'

export { describeSchedule, type Schedule } from './schedule-text.js'

/** Fire times of a schedule anchored at the daemon's start `t0`. */
export interface Ticker {
  /** The first fire time strictly after `after`. Null when a cron expression never fires again. */
  next(after: Date): Date | null
  /** Up to `count` fire times at or before `at`, newest first (an interval's go back to t0 only). */
  previous(at: Date, count: number): Date[]
}

export function createTicker(schedule: Schedule, t0: Date): Ticker {
  if (schedule.type === 'interval') {
    const step = schedule.interval_seconds * 1000
    const origin = t0.getTime()
    // t0 + k * interval: fire times come from the anchor, so lateness never accumulates.
    return {
      next(after) {
        const k = Math.floor((after.getTime() - origin) / step) + 1
        return new Date(origin + Math.max(k, 1) * step)
      },
      previous(at, count) {
        const out: Date[] = []
        for (let k = Math.floor((at.getTime() - origin) / step); k >= 0 && out.length < count; k--) out.push(new Date(origin + k * step))
        return out
      },
    }
  }
  const cron = compileCron(schedule.cron, schedule.timezone)
  return {
    next: (after) => cron.nextRun(after),
    // croner's previousRuns is strictly before its reference: nudge it so a tick at `at` counts.
    previous: (at, count) => cron.previousRuns(count, new Date(at.getTime() + 1)),
  }
}

/** The next `count` fire times after `after`. */
export function nextRuns(ticker: Ticker, after: Date, count: number): Date[] {
  const out: Date[] = []
  let at: Date | null = after
  while (out.length < count && at) {
    at = ticker.next(at)
    if (at) out.push(at)
  }
  return out
}

/** Compiles a 5- or 6-field cron expression; throws with croner's reason when it is invalid. */
export function compileCron(expression: string, timezone: string | null): Cron {
  return new Cron(expression, { paused: true, mode: '5-or-6-parts', ...(timezone ? { timezone } : {}) })
}

/** Returns null when `expression` is valid, else why not. */
export function cronProblem(expression: string): string | null {
  // croner's own text says "five, six, or seven parts"; we accept 5 or 6 (or a nickname such as @daily).
  const trimmed = expression.trim()
  const fields = trimmed === '' ? 0 : trimmed.split(/\s+/).length
  if (!trimmed.startsWith('@') && fields !== 5 && fields !== 6) {
    return `expected 5 fields, or 6 with seconds first; got ${fields === 0 ? 'none' : fields}`
  }
  try {
    const cron = compileCron(expression, null)
    if (!cron.nextRun()) return 'never fires'
    return null
  } catch (err) {
    return (err as Error).message.replace(/^CronPattern: /, '')
  }
}

/** True for a time zone name the runtime's Intl knows (IANA names such as `Europe/Berlin`). */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}
