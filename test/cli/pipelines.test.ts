/**
 * The client commands on a server of several pipelines: `list`, `--name` (and PIPELINE_CRON_NAME)
 * on start, stop, status, pause, resume, logs, runs and run-now, each touching only its pipeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PipelineCronClient } from '../../src/client.js'
import { FIXTURES, startServer, type TestServer } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'
import { runCli } from './run-cli.js'

const node = process.execPath
const greet = (prefix: string) => ({ steps: [{ name: 'greet', run: [node, `${FIXTURES}/print-lines.mjs`, '2', '0', prefix] }] })
// The first step fails three times (two retries), so the second is never reached.
const flaky = {
  steps: [
    { name: 'breaks', run: [node, `${FIXTURES}/exit-with.mjs`, '3'], retries: 2, retry_delay_seconds: 0.05 },
    { name: 'never', run: 'echo never' },
  ],
}

let server: TestServer
let api: PipelineCronClient
const cli = (...args: string[]) => runCli([...args, '--url', server.url])

beforeAll(async () => {
  server = await startServer({ pipelines: { alpha: greet('alpha'), beta: greet('beta'), flaky } })
  api = new PipelineCronClient(server.url)
})
afterAll(async () => {
  await server?.cleanup()
})

describe('several pipelines', () => {
  it('lists every pipeline stopped, and the API\'s JSON with --json - a fresh server', async () => {
    const [table, json] = await Promise.all([cli('list'), cli('list', '--json')])
    expect(table.stderr).toBe('')
    expect(table.stdout.split('\n')).toEqual([
      'NAME   STATE    SCHEDULE  NEXT RUN  LAST RUN  NOTE',
      'alpha  stopped  -         -         -',
      'beta   stopped  -         -         -',
      'flaky  stopped  -         -         -',
      '',
    ])
    expect(JSON.parse(json.stdout).pipelines.map((p: { name: string; steps: number }) => [p.name, p.steps])).toEqual([
      ['alpha', 1],
      ['beta', 1],
      ['flaky', 2],
    ])
  })

  it('points to --name and list, and exits 1 - no --name on a server with no default pipeline', async () => {
    expect(await cli('status')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'pipeline-cron: this server runs several pipelines and none is the default: pass --name NAME (or set PIPELINE_CRON_NAME); pipeline-cron list shows them\n',
    })
  })

  it('names the pipeline and points to list, and exits 1 - an unknown --name', async () => {
    expect(await cli('start', '--name', 'nope', '--every', '60')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'pipeline-cron: no pipeline named "nope" on this server; pipeline-cron list shows them\n',
    })
  })

  it('starts, pauses, resumes, runs now and stops one pipeline by --name, and leaves the others stopped', async () => {
    const started = await cli('start', '--name', 'alpha', '--every', '1h')
    expect(started.stderr).toBe('')
    expect(started.stdout).toMatch(/^Daemon started successfully with interval: 3600 seconds \(PID: \d+\)\n$/)
    await waitFor(async () => (await api.pipeline('alpha').runs()).runs.find((r) => r.status === 'success'), { timeoutMs: 20_000, what: 'alpha\'s first run' })

    const [status, other, list] = await Promise.all([cli('status', '--name', 'alpha'), cli('status', '--name', 'beta'), cli('list')])
    expect(status.stdout).toMatch(/^Pipeline: +alpha\nDaemon: +running \(PID \d+\)\nSchedule: +every 1 hour\n/)
    expect(other.stdout).toMatch(/^Pipeline: +beta\nDaemon: +stopped\n/)
    const rows = list.stdout.trimEnd().split('\n')
    expect(rows[0]).toMatch(/^NAME +STATE +SCHEDULE +NEXT RUN +LAST RUN +NOTE$/)
    expect(rows[1]).toMatch(/^alpha +running +every 1 hour +in (59|60)m +success (just now|\d+s ago)$/)
    expect(rows[2]).toMatch(/^beta +stopped +- +- +-$/)

    // The environment names the pipeline too.
    const env = { PIPELINE_CRON_URL: server.url, PIPELINE_CRON_NAME: 'alpha' }
    expect(await runCli(['pause'], { env })).toEqual({ code: 0, stdout: 'Pipeline paused: scheduled runs are skipped until it is resumed\n', stderr: '' })
    const [paused, pausedList, again, notRunning] = await Promise.all([
      cli('status', '--name', 'alpha'),
      cli('list'),
      cli('pause', '--name', 'alpha'),
      cli('pause', '--name', 'beta'),
    ])
    expect(paused.stdout).toMatch(/^Daemon: +running \(PID \d+\), paused: scheduled runs are skipped until it is resumed$/m)
    expect(pausedList.stdout).toMatch(/^alpha +paused +every 1 hour +- +success /m)
    expect(again).toEqual({ code: 1, stdout: '', stderr: 'pipeline-cron: The pipeline is already paused\n' })
    expect(notRunning).toEqual({ code: 1, stdout: '', stderr: 'pipeline-cron: Daemon is not running\n' })

    expect(await cli('resume', '--name', 'alpha')).toEqual({ code: 0, stdout: 'Pipeline resumed\n', stderr: '' })
    expect(await cli('resume', '--name', 'alpha')).toEqual({ code: 1, stdout: '', stderr: 'pipeline-cron: The pipeline is not paused\n' })
    expect((await cli('status', '--name', 'alpha')).stdout).not.toContain('paused')

    const now = await cli('run-now', '--name', 'alpha')
    expect(now.stdout).toMatch(/^Run started \(run \S+\)\n$/)
    await waitFor(async () => (await api.pipeline('alpha').runs()).runs.some((r) => r.trigger === 'manual' && r.status === 'success'), { timeoutMs: 20_000, what: 'the manual run' })

    const [logs, tail, runs] = await Promise.all([cli('logs', '--name', 'alpha'), cli('logs', '--name', 'alpha', '-n', '1'), cli('runs', '--name', 'alpha')])
    expect(logs.stdout).toContain('[stdout] alpha out 2')
    expect(logs.stdout).not.toContain('beta out')
    // The daemon's start line counts one step in the singular.
    expect(logs.stdout).toMatch(/Daemon started \(PID: \d+, interval: 3600 seconds, pipeline: \S+, 1 step\)/)
    expect(tail.stdout.trimEnd().split('\n')).toHaveLength(1)
    const table = runs.stdout.trimEnd().split('\n')
    expect(table).toHaveLength(3)
    expect(table[1]).toMatch(/^\S+ +manual +success +.* +1\/1$/)
    expect(table[2]).toMatch(/^\S+ +schedule +success +.* +1\/1$/)

    expect(await cli('stop', '--name', 'alpha')).toEqual({ code: 0, stdout: 'Daemon stopped successfully\n', stderr: '' })
    expect((await cli('list')).stdout).toMatch(/^alpha +stopped +- +- +success /m)
    expect((await api.pipeline('beta').runs()).runs).toEqual([])
  }, 120_000)

  it('shows ran/total with the step never reached in the total, and the attempts - a step that failed after two retries', async () => {
    expect((await cli('start', '--name', 'flaky', '--every', '1h')).code).toBe(0)
    try {
      await waitFor(async () => (await api.pipeline('flaky').runs()).runs.find((r) => r.status === 'failed'), { timeoutMs: 20_000, what: 'the failed run' })
      const [header, row] = (await cli('runs', '--name', 'flaky')).stdout.trimEnd().split('\n')
      expect(header).toMatch(/^ID +TRIGGER +STATUS +STARTED +DURATION +STEPS +NOTE$/)
      expect(row).toMatch(/^\S+ +schedule +failed +.* +1\/2 +step breaks failed: exit 3 in [\d.]+s; breaks: 3 attempts$/)
    } finally {
      await cli('stop', '--name', 'flaky')
    }
  }, 60_000)
})
