/**
 * GET /api/cron/runs/{id}/logs returns exactly one run's lines, also a failed run's
 * after later runs, across rotated files; 404 for an unknown run and for one rotated out.
 */
import { describe, expect, it } from 'vitest'
import { call, ISO_MS, logText, serverForTest, serverWithPipeline, startDaemon, waitForFinished, waitForRuns, type TestServer } from '../helpers/real-server.js'
import { linesOf, localFixture, shellScript } from './support.js'

const TS = String.raw`\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] `

async function runNow(server: TestServer): Promise<string> {
  const res = await call(server.url, 'POST', '/api/cron/run')
  expect(res.status, res.text).toBe(200)
  await waitForFinished(server, res.body.run_id)
  return res.body.run_id as string
}

async function runLogs(server: TestServer, id: string) {
  return call(server.url, 'GET', `/api/cron/runs/${encodeURIComponent(id)}/logs`)
}

describe.concurrent('per-run logs', () => {
  it("returns exactly that run's lines, and a failed run's output is still there after later runs", async (ctx) => {
    // The first run fails (exit 3, with stdout and stderr), the later ones succeed.
    const server = await serverWithPipeline((dir) => ({
      name: 'flaky',
      steps: [
        {
          name: 'work',
          run: shellScript(
            dir,
            'work.sh',
            [
              `if [ ! -f "${dir}/failed-once" ]; then`,
              `  touch "${dir}/failed-once"`,
              '  echo "boom in $PIPELINE_CRON_RUN_ID"',
              '  echo "stderr of $PIPELINE_CRON_RUN_ID" >&2',
              '  exit 3',
              'fi',
              'echo "ok in $PIPELINE_CRON_RUN_ID"',
            ].join('\n'),
          ),
        },
      ],
    }), {}, ctx)
    await startDaemon(server, { interval_seconds: 3600 })
    const failed = await waitForRuns(server, (r) => r.find((x) => x.status === 'failed'), 'the failed first run')
    const later = [await runNow(server), await runNow(server)]

    const res = await runLogs(server, failed.id)
    expect(res.status, res.text).toBe(200)
    expect(Object.keys(res.body).sort()).toEqual(['line_count', 'logs'])
    const lines = linesOf(res.body.logs)
    expect(res.body.line_count).toBe(7)
    expect(lines).toHaveLength(7)
    expect(lines[0]).toMatch(new RegExp(`^${TS}========== Pipeline execution started ==========$`))
    expect(lines[1]).toMatch(new RegExp(`^${TS}Run ${failed.id} \\(trigger: schedule\\)$`))
    expect(lines[2]).toMatch(new RegExp(`^${TS}\\[1/1\\] Running work\\.\\.\\.$`))
    // stdout and stderr come through two pipes: their relative order is not fixed.
    expect(lines.slice(3, 5).some((l) => l.endsWith(`boom in ${failed.id}`))).toBe(true)
    expect(lines.slice(3, 5).some((l) => l.endsWith(`[stderr] stderr of ${failed.id}`))).toBe(true)
    expect(lines[5]).toMatch(new RegExp(`^${TS}\\[1/1\\] work failed: exit 3 in \\d+\\.\\d\\ds$`))
    expect(lines[6]).toMatch(new RegExp(`^${TS}========== Pipeline execution finished: failed \\(0/1 steps, [\\d.]+s\\) ==========$`))

    // Each run's answer is its slice of the log (started .. finished) without the API's audit
    // lines written meanwhile, and mentions no other run.
    const file = linesOf(logText(server))
    for (const id of [failed.id, ...later]) {
      const body = (await runLogs(server, id)).body
      const at = file.findIndex((l) => l.endsWith(`Run ${id} (trigger: ${id === failed.id ? 'schedule' : 'manual'})`))
      const end = file.findIndex((l, i) => i > at && /Pipeline execution finished:/.test(l))
      const slice = file.slice(at - 1, end + 1).filter((l) => !/^\S+ \S+ Audit: /.test(l))
      expect(linesOf(body.logs)).toEqual(slice)
      expect(body.line_count).toBe(slice.length)
      for (const other of [failed.id, ...later].filter((x) => x !== id)) expect(body.logs).not.toContain(other)
    }
    const manual = linesOf((await runLogs(server, later[1]!)).body.logs)
    expect(manual[1]).toMatch(new RegExp(`Run ${later[1]} \\(trigger: manual\\)$`))
    expect(manual).toContainEqual(expect.stringMatching(new RegExp(`^${TS}\\[stdout\\] ok in ${later[1]}$`)))
    expect(manual[manual.length - 1]).toMatch(/Pipeline execution finished: success \(1\/1 steps/)

    // Cleared logs: the run is known, its lines are not.
    expect((await call(server.url, 'DELETE', '/api/cron/logs')).status).toBe(200)
    const gone = await runLogs(server, failed.id)
    expect(gone.status).toBe(404)
    expect(gone.body.detail).toBe(`The log lines of run ${failed.id} are no longer in the retained log files`)
  })

  it('answers 404 - unknown run id', async (ctx) => {
    const server = await serverForTest({ pipeline: { name: 'p', steps: [{ name: 's', run: 'true' }] } }, ctx)
    const res = await runLogs(server, '20990101T000000Z-abcd')
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ error: true, detail: 'Run not found: 20990101T000000Z-abcd', timestamp: expect.stringMatching(ISO_MS) })
    expect((await call(server.url, 'GET', '/api/cron/runs/20990101T000000Z-abcd')).status).toBe(404)
  })

  it('answers 404 for a run rotated out and returns a run spread over rotated files whole - --log-max-bytes 1024 --log-keep 2', async (ctx) => {
    const server = await serverForTest({
      pipeline: { name: 'chatty', steps: [{ name: 'write', run: localFixture('write-bytes.mjs', '1200', '100') }] },
      args: ['--log-max-bytes', '1024', '--log-keep', '2'],
    }, ctx)
    await startDaemon(server, { interval_seconds: 3600 })
    const first = await waitForRuns(server, (r) => r.find((x) => x.status === 'success'), 'the first run')
    const ids = [first.id]
    for (let i = 0; i < 4; i++) ids.push(await runNow(server))

    const res = await runLogs(server, first.id)
    expect(res.status).toBe(404)
    expect(res.body.detail).toBe(`The log lines of run ${first.id} are no longer in the retained log files`)
    // The run itself is still in the history.
    expect((await call(server.url, 'GET', `/api/cron/runs/${first.id}`)).status).toBe(200)

    const last = ids[ids.length - 1]!
    const lines = linesOf((await runLogs(server, last)).body.logs)
    const bigs = lines.filter((l) => / big \d+ x+$/.test(l)).map((l) => Number(/ big (\d+) /.exec(l)![1]))
    expect(bigs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
    expect(lines[1]).toMatch(new RegExp(`Run ${last} \\(trigger: manual\\)$`))
    expect(lines[lines.length - 1]).toMatch(/Pipeline execution finished: success/)
    expect(lines).toHaveLength(12 + 6)
  })
})
