/** Per-run log extraction: only the run's own lines, whatever else was written meanwhile. */
import { describe, expect, it } from 'vitest'
import { extractRunLines } from '../../src/run-log.js'

async function* chunks(text: string, size = 7) {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size)
}

const ts = '[2025-12-26 10:30:45] '
const log = (...lines: string[]) => lines.map((l) => ts + l + '\n').join('')

describe('extractRunLines', () => {
  it('leaves out API audit lines and scheduler notes written during the run - interleaved writers', async () => {
    const text = log(
      'Daemon started (PID: 1, interval: 1 seconds, pipeline: p, 1 steps)',
      '========== Pipeline execution started ==========',
      'Run r1 (trigger: schedule)',
      '[1/1] Running work...',
      'Audit: 127.0.0.1 started the daemon with interval: 1 seconds (PID: 1)',
      '[stdout] output 1',
      'Skipping scheduled run: the previous run (r1) is still in progress',
      'Manual run ignored: a run is already in progress',
      '[stderr] oops',
      '[1/1] work finished: exit 0 in 1.00s',
      '========== Pipeline execution finished: success (1/1 steps, 1.00s) ==========',
      'Audit: 127.0.0.1 triggered a manual run (r2)',
    )
    expect(await extractRunLines(chunks(text), 'r1')).toEqual(
      [
        '========== Pipeline execution started ==========',
        'Run r1 (trigger: schedule)',
        '[1/1] Running work...',
        '[stdout] output 1',
        '[stderr] oops',
        '[1/1] work finished: exit 0 in 1.00s',
        '========== Pipeline execution finished: success (1/1 steps, 1.00s) ==========',
      ].map((l) => ts + l),
    )
  })

  it('returns null - run not in the log', async () => {
    expect(await extractRunLines(chunks(log('========== Pipeline execution started ==========', 'Run r1 (trigger: manual)')), 'r9')).toBeNull()
  })

  it('ends a run cut short by a later run start - daemon died mid-run', async () => {
    const text = log(
      '========== Pipeline execution started ==========',
      'Run r1 (trigger: schedule)',
      '[stdout] partial',
      '========== Pipeline execution started ==========',
      'Run r2 (trigger: schedule)',
    )
    expect(await extractRunLines(chunks(text), 'r1')).toEqual([ts + '========== Pipeline execution started ==========', ts + 'Run r1 (trigger: schedule)', ts + '[stdout] partial'])
  })

  it('keeps the lines after a forged "finished" line and keeps forged audit lines - a step printed them', async () => {
    const forged = [
      '[stdout] ' + ts + '========== Pipeline execution finished: success (2/2 steps, 0.01s) ==========',
      '[stdout] ========== Pipeline execution started ==========',
      '[stderr] Audit: 10.9.9.9 stopped the daemon',
      '[stdout] Skipping scheduled run: nothing to see',
    ]
    const text = log(
      '========== Pipeline execution started ==========',
      'Run r1 (trigger: manual)',
      '[1/2] Running liar...',
      ...forged,
      '[1/2] liar finished: exit 0 in 0.01s',
      '[2/2] Running real...',
      '[2/2] real failed: exit 3 in 0.01s',
      '========== Pipeline execution finished: failed (1/2 steps, 0.02s) ==========',
    )
    const lines = await extractRunLines(chunks(text), 'r1')
    expect(lines).toHaveLength(11)
    expect(lines!.slice(3, 7)).toEqual(forged.map((l) => ts + l))
    expect(lines!.at(-2)).toBe(ts + '[2/2] real failed: exit 3 in 0.01s')
    expect(lines!.at(-1)).toBe(ts + '========== Pipeline execution finished: failed (1/2 steps, 0.02s) ==========')
  })

  it('does not find a run by a "Run <id>" line a step printed - only the daemon names runs', async () => {
    const text = log(
      '========== Pipeline execution started ==========',
      'Run r1 (trigger: manual)',
      '[stdout] ========== Pipeline execution started ==========',
      '[stdout] Run r9 (trigger: manual)',
      '========== Pipeline execution finished: success (1/1 steps, 0.01s) ==========',
    )
    expect(await extractRunLines(chunks(text), 'r9')).toBeNull()
  })
})
