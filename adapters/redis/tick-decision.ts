/**
 * What a worker records when a tick's job reaches it. BullMQ coalesces ticks (a late job jumps
 * to the next free slot and says nothing of the slots it passed over), so each job first accounts
 * for the slots between the last one recorded and its own: a slot that came while a run was going
 * is `skipped`, one that came while the pipeline was paused is `skipped` (paused), and one that no
 * worker took up within the starting deadline is `missed`. Times are Redis's (ms).
 */
import type { Schedule } from '../../src/schedule.js'
import { compileCron } from '../../src/schedule.js'

/** A run that went from `start` to `end` (ms, Redis time). */
export interface BusySpan {
  start: number
  end: number
  id: string
}

export interface TickFacts {
  /** The slot of the job at hand (ms). */
  slot: number
  /** Redis TIME when the job was taken up. */
  now: number
  /** The latest slot recorded since the pipeline started; null for its first tick. */
  cursor: number | null
  schedule: Schedule
  /** Recent runs, and the one in progress (its end is `now`). */
  busy: BusySpan[]
  /** Since when the pipeline is paused (ms), or null. */
  pausedSince: number | null
  deadlineMs: number
}

export type SlotVerdict = { slot: number; status: 'skipped' | 'missed'; reason: string }
export type TickDecision = { gaps: SlotVerdict[]; self: SlotVerdict | { slot: number; status: 'run' } }

/** A gap longer than this (a week of 1 s ticks is 604,800) is recorded up to its newest slots. */
export const MAX_GAP_SLOTS = 10_000

export function decideTick(f: TickFacts): TickDecision {
  const classify = (slot: number): SlotVerdict | null => {
    const during = f.busy.find((b) => b.start <= slot && slot < b.end)
    if (during) return { slot, status: 'skipped', reason: `previous run ${during.id} still in progress` }
    if (f.pausedSince !== null && f.pausedSince <= slot) return { slot, status: 'skipped', reason: 'paused' }
    return null
  }
  const missed = (slot: number): SlotVerdict => ({
    slot,
    status: 'missed',
    reason: `no worker started it within ${f.deadlineMs / 1000}s of its time (starting_deadline_seconds)`,
  })
  const gaps = f.cursor === null ? [] : slotsBetween(f.schedule, f.cursor, f.slot).map((s) => classify(s) ?? missed(s))
  const self = classify(f.slot) ?? (f.now - f.slot > f.deadlineMs ? missed(f.slot) : { slot: f.slot, status: 'run' as const })
  return { gaps, self }
}

/**
 * The schedule's slots strictly between `after` and `before` (the newest MAX_GAP_SLOTS of them).
 * Interval slots lie on the grid of `after` (BullMQ keeps `every` jobs on their first slot's
 * grid); cron slots are enumerated with croner in the schedule's time zone.
 */
export function slotsBetween(schedule: Schedule, after: number, before: number): number[] {
  const out: number[] = []
  if (schedule.type === 'interval') {
    const every = schedule.interval_seconds * 1000
    const inGap = Math.ceil((before - after) / every) - 1
    for (let s = after + (1 + Math.max(0, inGap - MAX_GAP_SLOTS)) * every; s < before; s += every) out.push(s)
    return out
  }
  const cron = compileCron(schedule.cron, schedule.timezone)
  for (let at = cron.nextRun(new Date(after)); at && at.getTime() < before; at = cron.nextRun(at)) {
    out.push(at.getTime())
    if (out.length > MAX_GAP_SLOTS) out.shift()
  }
  return out
}

/** The starting deadline: the pipeline's, else the interval, else 60 s for cron. */
export function startingDeadlineMs(schedule: Schedule, pipelineSeconds: number | undefined): number {
  if (pipelineSeconds !== undefined) return pipelineSeconds * 1000
  return schedule.type === 'interval' ? schedule.interval_seconds * 1000 : 60_000
}
