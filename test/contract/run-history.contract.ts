import type { RunHistory, RunRecord } from '../../src/ports.js'
import type { ContractHarness } from './harness.js'

export interface RunHistoryFixture {
  history: RunHistory
  /** A second handle on the same history, as another process (the API vs the daemon) opens it. */
  reopen(): RunHistory
  cleanup(): Promise<void>
}

/** `F` lets a fixture carry what `tear` needs (e.g. its folder). */
export interface RunHistoryContract<F extends RunHistoryFixture = RunHistoryFixture> extends ContractHarness {
  make(): Promise<F>
  /**
   * Leaves a half-written record at the end, as a crash mid-append does. Only for stores that
   * can tear (files); the torn-record cases are skipped without it.
   */
  tear?: (f: F, partial: string) => Promise<void>
}

/** A run record started `minute` minutes after 10:00 UTC. */
export function runAt(id: string, minute: number, status: RunRecord['status'] = 'success', extra: Partial<RunRecord> = {}): RunRecord {
  const started = new Date(Date.UTC(2025, 11, 26, 10, minute)).toISOString()
  const done = status !== 'running'
  return {
    id,
    instance_id: 'inst-1',
    trigger: 'schedule',
    status,
    scheduled_at: started,
    started_at: started,
    finished_at: done ? started : null,
    duration_ms: done ? 0 : null,
    steps: done ? [{ name: 'a', status: 'success', exit_code: 0, signal: null, started_at: started, duration_ms: 0 }] : [],
    ...extra,
  }
}

/** The RunHistory contract; every implementation, the in-memory one included, must pass it. */
export function runHistoryContract<F extends RunHistoryFixture>({ it, expect, make, tear }: RunHistoryContract<F>) {
  const withHistory = async (fn: (f: F) => Promise<void>) => {
    const f = await make()
    try {
      await fn(f)
    } finally {
      await f.cleanup()
    }
  }
  const ids = (runs: RunRecord[]) => runs.map((r) => r.id)

  it('lists nothing and finds nothing - empty history', () =>
    withHistory(async ({ history }) => {
      expect(await history.list(10)).toEqual([])
      expect(await history.get('nope')).toBeNull()
    }))

  it('returns records as appended - round trip of every field', () =>
    withHistory(async ({ history }) => {
      const run = runAt('r1', 0, 'failed', { trigger: 'manual', reason: 'why', steps: [{ name: 's', status: 'failed', exit_code: 2, signal: null, started_at: '2025-12-26T10:00:00.000Z', duration_ms: 12, error: 'boom' }] })
      await history.append(run)
      expect(await history.get('r1')).toEqual(run)
      expect(await history.list(1)).toEqual([run])
    }))

  it('lists newest first, at most `limit` - several runs', () =>
    withHistory(async ({ history }) => {
      for (let m = 0; m < 5; m++) await history.append(runAt(`r${m}`, m))
      expect(ids(await history.list(10))).toEqual(['r4', 'r3', 'r2', 'r1', 'r0'])
      expect(ids(await history.list(2))).toEqual(['r4', 'r3'])
    }))

  it('shows only the latest record of a run - running, then its result', () =>
    withHistory(async ({ history }) => {
      await history.append(runAt('r1', 0, 'running'))
      await history.append(runAt('r2', 1, 'skipped'))
      await history.append(runAt('r1', 0, 'success'))
      const runs = await history.list(10)
      expect(runs.map((r) => [r.id, r.status])).toEqual([
        ['r2', 'skipped'],
        ['r1', 'success'],
      ])
      expect((await history.get('r1'))!.status).toBe('success')
    }))

  it('sees what another handle appended - reopened history', () =>
    withHistory(async ({ history, reopen }) => {
      await history.append(runAt('r1', 0))
      const other = reopen()
      expect(ids(await other.list(5))).toEqual(['r1'])
      await other.append(runAt('r1', 0, 'failed'))
      expect((await history.get('r1'))!.status).toBe('failed')
    }))

  it('keeps many runs - 300 records', () =>
    withHistory(async ({ history }) => {
      for (let i = 0; i < 300; i++) await history.append(runAt(`r${String(i).padStart(3, '0')}`, i))
      const runs = await history.list(1000)
      expect(runs).toHaveLength(300)
      expect(runs[0]!.id).toBe('r299')
      expect(runs[299]!.id).toBe('r000')
    }), 30_000)

  if (tear) {
    it('skips a torn last record - crash mid-append', () =>
      withHistory(async (f) => {
        await f.history.append(runAt('r1', 0))
        await f.history.append(runAt('r2', 1))
        await tear(f, '{"id":"r3","instance_id":"inst-1","trigg')
        expect(ids(await f.history.list(10))).toEqual(['r2', 'r1'])
        expect(await f.history.get('r3')).toBeNull()
      }))

    it('keeps the next record after a torn one - append after a crash', () =>
      withHistory(async (f) => {
        await f.history.append(runAt('r1', 0))
        await tear(f, '{"id":"r2","sta')
        await f.history.append(runAt('r3', 2))
        expect(ids(await f.history.list(10))).toEqual(['r3', 'r1'])
        expect((await f.history.get('r3'))!.status).toBe('success')
      }))
  }
}
