/** Fire times without drift, cron across DST with fixed clocks, and cron validation. */
import { describe, expect, it } from 'vitest'
import { createTicker, cronProblem, describeSchedule, isValidTimeZone, nextRuns } from '../../src/schedule.js'

const at = (iso: string) => new Date(iso)
const iso = (dates: Date[]) => dates.map((d) => d.toISOString())
const cron = (expr: string, timezone: string | null, t0 = '2025-01-01T00:00:00Z') =>
  createTicker({ type: 'cron', cron: expr, timezone }, at(t0))

describe('interval ticker', () => {
  const t0 = at('2025-12-26T10:30:45.123Z')
  const every60 = createTicker({ type: 'interval', interval_seconds: 60 }, t0)

  it('fires at t0 + interval first - asked at t0', () => {
    expect(every60.next(t0)!.toISOString()).toBe('2025-12-26T10:31:45.123Z')
  })

  it('fires strictly after the time asked - asked exactly on a tick', () => {
    expect(every60.next(at('2025-12-26T10:31:45.123Z'))!.toISOString()).toBe('2025-12-26T10:32:45.123Z')
  })

  it('stays on the t0 + k * interval grid - asked late, after missed ticks', () => {
    // 2.5 intervals late (a slow run, a suspended laptop): the next tick is k = 3, not "now + 60".
    expect(every60.next(at('2025-12-26T10:33:15.500Z'))!.toISOString()).toBe('2025-12-26T10:33:45.123Z')
  })

  it('accumulates no drift - each tick computed from a late previous tick', () => {
    let after = t0
    const fired: Date[] = []
    for (let k = 0; k < 1000; k++) {
      const due = every60.next(after)!
      fired.push(due)
      after = new Date(due.getTime() + 37) // every timer fires 37 ms late
    }
    expect(fired[999]!.getTime() - t0.getTime()).toBe(1000 * 60_000)
    expect(fired.every((d) => (d.getTime() - t0.getTime()) % 60_000 === 0)).toBe(true)
  })

  it('fires at t0 + interval - asked before t0 (clock stepped back)', () => {
    expect(every60.next(at('2025-12-26T10:00:00Z'))!.toISOString()).toBe('2025-12-26T10:31:45.123Z')
  })

  it('lists the next N ticks - nextRuns', () => {
    expect(iso(nextRuns(every60, t0, 3))).toEqual(['2025-12-26T10:31:45.123Z', '2025-12-26T10:32:45.123Z', '2025-12-26T10:33:45.123Z'])
  })
})

describe('cron ticker: 5 and 6 fields', () => {
  it('fires on weekdays only - 0 9 * * 1-5 from a Friday afternoon', () => {
    expect(iso(nextRuns(cron('0 9 * * 1-5', 'UTC'), at('2025-01-03T10:00:00Z'), 2))).toEqual(['2025-01-06T09:00:00.000Z', '2025-01-07T09:00:00.000Z'])
  })

  it('reads a leading seconds field - 6 fields */15 * * * * *', () => {
    expect(iso(nextRuns(cron('*/15 * * * * *', null), at('2025-01-01T10:00:07Z'), 3))).toEqual([
      '2025-01-01T10:00:15.000Z',
      '2025-01-01T10:00:30.000Z',
      '2025-01-01T10:00:45.000Z',
    ])
  })

  it('fires strictly after the time asked - asked exactly on a fire time', () => {
    expect(cron('*/5 * * * *', 'UTC').next(at('2025-01-01T10:05:00Z'))!.toISOString()).toBe('2025-01-01T10:10:00.000Z')
  })

  it('follows the given zone, not the server one - 0 9 * * * in Asia/Tokyo', () => {
    expect(cron('0 9 * * *', 'Asia/Tokyo').next(at('2025-06-01T00:30:00Z'))!.toISOString()).toBe('2025-06-02T00:00:00.000Z')
  })
})

/** A DST case: `expr` in `zone`, asked from `from`; the fire times it must give (UTC, local time in the comment). */
const DST_CASES: { name: string; expr: string; zone: string; from: string; fires: string[] }[] = [
  // 2025-03-30, Europe/Berlin: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist that day.
  {
    name: 'runs once, right after the gap - 30 2 * * * on the spring-forward day in Europe/Berlin',
    expr: '30 2 * * *',
    zone: 'Europe/Berlin',
    from: '2025-03-29T12:00:00Z',
    fires: ['2025-03-30T01:00:00.000Z' /* 03:00 CEST */, '2025-03-31T00:30:00.000Z' /* 02:30 CEST */, '2025-04-01T00:30:00.000Z'],
  },
  {
    name: 'skips the missing hour without a double run - 0 * * * * over spring-forward in Europe/Berlin',
    expr: '0 * * * *',
    zone: 'Europe/Berlin',
    from: '2025-03-29T23:30:00Z',
    fires: ['2025-03-30T00:00:00.000Z' /* 01:00 CET */, '2025-03-30T01:00:00.000Z' /* 03:00 CEST */, '2025-03-30T02:00:00.000Z' /* 04:00 CEST */],
  },
  // 2025-10-26, Europe/Berlin: 03:00 CEST falls back to 02:00 CET, so 02:00-02:59 happens twice.
  {
    name: 'fires every real hour, both 02:00s included - 0 * * * * over fall-back in Europe/Berlin',
    expr: '0 * * * *',
    zone: 'Europe/Berlin',
    from: '2025-10-25T22:30:00Z',
    fires: [
      '2025-10-25T23:00:00.000Z' /* 01:00 CEST */,
      '2025-10-26T00:00:00.000Z' /* 02:00 CEST */,
      '2025-10-26T01:00:00.000Z' /* 02:00 CET */,
      '2025-10-26T02:00:00.000Z' /* 03:00 CET */,
      '2025-10-26T03:00:00.000Z',
    ],
  },
  {
    name: 'runs a daily job once - 30 2 * * * on the fall-back day in Europe/Berlin',
    expr: '30 2 * * *',
    zone: 'Europe/Berlin',
    from: '2025-10-25T12:00:00Z',
    fires: ['2025-10-26T00:30:00.000Z' /* the first 02:30 (CEST) only */, '2025-10-27T01:30:00.000Z' /* 02:30 CET */],
  },
  // 2025-03-09, America/New_York: 02:00 EST jumps to 03:00 EDT.
  {
    name: 'runs once, right after the gap - 30 2 * * * on the spring-forward day in America/New_York',
    expr: '30 2 * * *',
    zone: 'America/New_York',
    from: '2025-03-08T12:00:00Z',
    fires: ['2025-03-09T07:00:00.000Z' /* 03:00 EDT */, '2025-03-10T06:30:00.000Z' /* 02:30 EDT */],
  },
  // 2025-11-02, America/New_York: 02:00 EDT falls back to 01:00 EST.
  {
    name: 'fires every real hour, both 01:00s included - 0 * * * * over fall-back in America/New_York',
    expr: '0 * * * *',
    zone: 'America/New_York',
    from: '2025-11-02T04:30:00Z',
    fires: ['2025-11-02T05:00:00.000Z' /* 01:00 EDT */, '2025-11-02T06:00:00.000Z' /* 01:00 EST */, '2025-11-02T07:00:00.000Z' /* 02:00 EST */, '2025-11-02T08:00:00.000Z'],
  },
  {
    name: 'runs a daily job in the repeated hour once - 30 1 * * * on the fall-back day in America/New_York',
    expr: '30 1 * * *',
    zone: 'America/New_York',
    from: '2025-11-01T12:00:00Z',
    fires: ['2025-11-02T05:30:00.000Z' /* the first 01:30 (EDT) only */, '2025-11-03T06:30:00.000Z'],
  },
]

describe('cron ticker across DST (fixed clocks)', () => {
  it.each(DST_CASES)('$name', ({ expr, zone, from, fires }) => {
    expect(iso(nextRuns(cron(expr, zone), at(from), fires.length))).toEqual(fires)
  })
})

describe('cronProblem', () => {
  it.each(['*/5 * * * *', '0 9 * * 1-5', '*/15 * * * * *', '0 0 29 2 *', '@daily'])('returns null - valid %j', (expr) => {
    expect(cronProblem(expr)).toBeNull()
  })

  it.each([
    ['61 * * * *', /minute.*61/],
    ['0 0 * * 8', /dayOfWeek.*8/],
    ['0 0 30 2 *', /^never fires$/],
  ])('says why - invalid %j', (expr, why) => {
    expect(cronProblem(expr)).toMatch(why)
  })

  it.each([
    ['bad', '1'],
    ['* * * *', '4'],
    ['', 'none'],
    ['   ', 'none'],
    ['* * * * * * *', '7'],
    ['0 0 0 * * * 2030', '7'],
  ])('says 5 fields, or 6 with seconds first, and how many it got - %j (croner would say five, six, or seven)', (expr, got) => {
    expect(cronProblem(expr)).toBe(`expected 5 fields, or 6 with seconds first; got ${got}`)
  })
})

describe('describeSchedule and isValidTimeZone', () => {
  it('describes both kinds as the start message does', () => {
    expect(describeSchedule({ type: 'interval', interval_seconds: 60 })).toBe('interval: 60 seconds')
    expect(describeSchedule({ type: 'interval', interval_seconds: 1 })).toBe('interval: 1 second')
    expect(describeSchedule({ type: 'cron', cron: '0 * * * *', timezone: 'Europe/Berlin' })).toBe('cron: 0 * * * * (Europe/Berlin)')
    expect(describeSchedule({ type: 'cron', cron: '0 * * * *', timezone: null })).toBe('cron: 0 * * * *')
  })

  it('knows IANA names and rejects others', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true)
    expect(isValidTimeZone('America/New_York')).toBe(true)
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false)
    expect(isValidTimeZone('')).toBe(false)
  })
})
