import { describe, expect, it } from 'vitest'
import { decideTick, slotsBetween, startingDeadlineMs, type TickFacts } from '../../adapters/redis/tick-decision.js'

const every10: TickFacts['schedule'] = { type: 'interval', interval_seconds: 10 }
const T = 1_800_000_000_000
const facts = (o: Partial<TickFacts>): TickFacts => ({ slot: T, now: T + 5, cursor: null, schedule: every10, busy: [], pausedSince: null, deadlineMs: 10_000, ...o })

describe('decideTick', () => {
  it('runs the first tick of a start - no slot recorded yet', () => {
    expect(decideTick(facts({}))).toEqual({ gaps: [], self: { slot: T, status: 'run' } })
  })

  it('records the slots BullMQ passed over as skipped - they came while a run was going', () => {
    const d = decideTick(facts({ cursor: T - 40_000, slot: T, now: T + 1, busy: [{ start: T - 40_000, end: T - 15_000, id: 'r1' }] }))
    expect(d.gaps).toEqual([
      { slot: T - 30_000, status: 'skipped', reason: 'previous run r1 still in progress' },
      { slot: T - 20_000, status: 'skipped', reason: 'previous run r1 still in progress' },
      { slot: T - 10_000, status: 'missed', reason: 'no worker started it within 10s of its time (starting_deadline_seconds)' },
    ])
    expect(d.self).toEqual({ slot: T, status: 'run' })
  })

  it('skips the tick itself - it came while the previous run was going, though taken up after it', () => {
    const d = decideTick(facts({ cursor: T - 10_000, slot: T, now: T + 3000, busy: [{ start: T - 10_000, end: T + 2900, id: 'r9' }] }))
    expect(d).toEqual({ gaps: [], self: { slot: T, status: 'skipped', reason: 'previous run r9 still in progress' } })
  })

  it('misses the tick - taken up later than its starting deadline', () => {
    expect(decideTick(facts({ now: T + 10_001 })).self).toMatchObject({ status: 'missed' })
    expect(decideTick(facts({ now: T + 10_000 })).self).toMatchObject({ status: 'run' })
  })

  it('skips ticks as paused - paused before their time', () => {
    const d = decideTick(facts({ cursor: T - 20_000, pausedSince: T - 15_000 }))
    expect(d.gaps).toEqual([{ slot: T - 10_000, status: 'skipped', reason: 'paused' }])
    expect(d.self).toEqual({ slot: T, status: 'skipped', reason: 'paused' })
  })
})

describe('slotsBetween', () => {
  it('enumerates cron slots with croner, in the time zone - every minute, 3 minutes apart', () => {
    const start = Date.UTC(2026, 0, 1, 12, 0)
    const s = slotsBetween({ type: 'cron', cron: '* * * * *', timezone: 'Europe/Berlin' }, start, start + 3 * 60_000)
    expect(s).toEqual([start + 60_000, start + 120_000])
  })

  it('keeps the newest 10,000 slots of a longer gap - a day of 1 s ticks', () => {
    const s = slotsBetween({ type: 'interval', interval_seconds: 1 }, T, T + 86_400_000)
    expect(s).toHaveLength(10_000)
    expect(s[s.length - 1]).toBe(T + 86_399_000)
  })
})

describe('startingDeadlineMs', () => {
  it('is the interval, 60 s for cron, or the pipeline file says', () => {
    expect(startingDeadlineMs(every10, undefined)).toBe(10_000)
    expect(startingDeadlineMs({ type: 'cron', cron: '* * * * *', timezone: null }, undefined)).toBe(60_000)
    expect(startingDeadlineMs(every10, 2.5)).toBe(2500)
  })
})
