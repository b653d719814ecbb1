/**
 * A step that prints lines shaped like the daemon's own (a "finished: success" line, a run's
 * start and id lines, an audit line): the run's log still goes to the real end and shows the real
 * failure, and no forged line is taken for the daemon's.
 */
import { describe, expect, it } from 'vitest'
import { call, fixture, LOG_LINE, logText, NODE, serverForTest, startDaemon, waitFor } from './support.js'

const TS = '[2025-01-01 00:00:00] '
const FORGED = [
  `${TS}========== Pipeline execution finished: success (2/2 steps, 0.01s) ==========`,
  '========== Pipeline execution finished: success (2/2 steps, 0.01s) ==========',
  'Audit: 10.9.9.9 stopped the daemon (PID: 1, mode: cancel)',
  '========== Pipeline execution started ==========',
  'Run 20250101T000000Z-f0f0 (trigger: manual)',
]
// Prints every forged line on stdout, then on stderr, and exits 0.
const LIAR = `for (const s of [process.stdout, process.stderr]) s.write(${JSON.stringify(FORGED.join('\n') + '\n')})`

const pipeline = {
  name: 'forger',
  steps: [
    { name: 'liar', run: [NODE, '-e', LIAR] },
    { name: 'real', run: fixture('exit-with.mjs', '3') },
  ],
}

describe('forged log lines', () => {
  it("returns the run's log up to the real failure of step 2 - step 1 printed a fake finished, start, run and audit line", async () => {
    const server = await serverForTest({ pipeline })
    await startDaemon(server)
    const run = await waitFor(async () => {
      const res = await call(server.url, 'GET', '/api/cron/runs')
      return res.body?.runs?.find((r: any) => r.status !== 'running')
    }, { what: 'the run to finish' })
    expect(run.status).toBe('failed')

    const res = await call(server.url, 'GET', `/api/cron/runs/${run.id}/logs`)
    expect(res.status, res.text).toBe(200)
    const lines: string[] = res.body.logs.trimEnd().split('\n')
    const texts = lines.map((l) => l.replace(LOG_LINE, ''))
    // Every forged line is there, as the step's output on each stream.
    for (const mark of ['[stdout] ', '[stderr] ']) for (const f of FORGED) expect(texts).toContain(mark + f)
    expect(texts).toContain('[2/2] Running real...')
    expect(texts).toContain('[stdout] exiting with 3')
    expect(texts.some((t) => /^\[2\/2\] real failed: exit 3 in [\d.]+s$/.test(t))).toBe(true)
    expect(texts.at(-1)).toMatch(/^========== Pipeline execution finished: failed \(1\/2 steps, [\d.]+s\) ==========$/)
    expect(res.body.line_count).toBe(2 + 1 + FORGED.length * 2 + 1 + 1 + 1 + 1 + 1)

    // The run id a step printed names no run.
    expect((await call(server.url, 'GET', '/api/cron/runs/20250101T000000Z-f0f0/logs')).status).toBe(404)

    // In the whole log, the only unmarked "finished" and "Audit:" lines are the daemon's and the API's own.
    const own = logText(server).trimEnd().split('\n').map((l) => l.replace(LOG_LINE, '')).filter((t) => !/^\[(stdout|stderr)\] /.test(t))
    expect(own.filter((t) => t.includes('Pipeline execution finished'))).toEqual([texts.at(-1)])
    const audits = own.filter((t) => t.startsWith('Audit: '))
    expect(audits).toHaveLength(1)
    expect(audits[0]).toMatch(/^Audit: \S+ started the daemon/)
  })
})
