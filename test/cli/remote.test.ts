/**
 * The client commands end to end: `node dist/cli.js <command>` against a real server, with
 * output and exit codes checked, API errors as one line on stderr.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PipelineCronClient } from '../../src/client.js'
import { FIXTURES, startServer, type TestServer } from '../helpers/server.js'
import { closedPort } from '../helpers/client-server.js'
import { waitFor } from '../helpers/wait.js'
import { runCli } from './run-cli.js'

const pipeline = { name: 'cli-test', steps: [{ name: 'greet', run: [process.execPath, `${FIXTURES}/print-lines.mjs`, '3', '0', 'greet'] }] }
const ANSI = /\x1b\[/

let server: TestServer
let api: PipelineCronClient
const cli = (...args: string[]) => runCli([...args, '--url', server.url])

beforeAll(async () => {
  server = await startServer({ pipeline })
  api = new PipelineCronClient(server.url)
})
afterAll(async () => {
  await server?.cleanup()
})

describe('client commands', () => {
  it('prints a stopped status and exits 0 - no daemon', async () => {
    const r = await cli('status')
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(r.stdout).toMatch(/^Daemon: +stopped$/m)
    expect(r.stdout).toMatch(/^Last run: +none yet$/m)
    expect(r.stdout).not.toMatch(ANSI)
  })

  it('prints the 409 detail as one line on stderr and exits 1 - stop while stopped', async () => {
    expect(await cli('stop')).toEqual({ code: 1, stdout: '', stderr: 'pipeline-cron: Daemon is not running\n' })
  })

  it('names --every and the server\'s minimum, not interval_seconds, and exits 1 - interval below the minimum', async () => {
    expect(await cli('start', '--every', '0')).toEqual({ code: 1, stdout: '', stderr: "pipeline-cron: --every: must be at least 1s (the server's minimum)\n" })
  })

  it('names the flag that set the field - too long an interval, a cron of 3 fields, an unknown time zone, too many lines', async () => {
    const [long, cron, tz, lines] = await Promise.all([
      cli('start', '--every', '400d'),
      cli('start', '--cron', '* * *'),
      cli('start', '--cron', '*/5 * * * *', '--tz', 'Mars/Base'),
      cli('logs', '-n', '200000'),
    ])
    expect(long).toEqual({ code: 1, stdout: '', stderr: "pipeline-cron: --every: must be at most 366d (the server's maximum)\n" })
    expect(cron).toEqual({ code: 1, stdout: '', stderr: 'pipeline-cron: --cron: invalid cron expression (expected 5 fields, or 6 with seconds first; got 3)\n' })
    expect(tz).toEqual({ code: 1, stdout: '', stderr: 'pipeline-cron: --tz: unknown time zone "Mars/Base"\n' })
    expect(lines).toEqual({ code: 1, stdout: '', stderr: 'pipeline-cron: --lines: must be an integer from 1 to 100000\n' })
  })

  it('exits 1 with one usage line - start without a schedule, --tz without --cron, a bad duration', async () => {
    const [none, tz, bad] = await Promise.all([cli('start'), cli('start', '--every', '60', '--tz', 'UTC'), cli('start', '--every', 'soon')])
    expect(none).toEqual({ code: 1, stdout: '', stderr: 'pipeline-cron: start needs --every SECONDS or --cron EXPR\n' })
    expect(tz).toEqual({ code: 1, stdout: '', stderr: 'pipeline-cron: --tz only goes with --cron\n' })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^pipeline-cron: option '--every <duration>' argument 'soon' is invalid\. .*\n$/)
  })

  it('starts, shows status, runs, logs, runs now, stops and clears - the daemon\'s life', async () => {
    // The URL from the environment this time.
    const started = await runCli(['start', '--every', '1h'], { env: { PIPELINE_CRON_URL: server.url } })
    expect(started.stderr).toBe('')
    expect(started.code).toBe(0)
    expect(started.stdout).toMatch(/^Daemon started successfully with interval: 3600 seconds \(PID: (\d+)\)\n$/)
    const pid = /PID: (\d+)/.exec(started.stdout)![1]

    expect(await cli('start', '--cron', '* * * * *')).toEqual({ code: 1, stdout: '', stderr: `pipeline-cron: Daemon is already running (PID: ${pid})\n` })

    const run = await waitFor(async () => (await api.runs()).runs.find((r) => r.status === 'success'), { timeoutMs: 20_000, what: 'the first run' })

    // Read-only commands, side by side: each is a process start on a busy machine.
    const [status, json, table, runsJson, tail, all] = await Promise.all([
      cli('status'),
      cli('status', '--json'),
      cli('runs'),
      cli('runs', '--json', '--limit', '1'),
      cli('logs', '-n', '3'),
      cli('logs'),
    ])
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(new RegExp(`^Daemon: +running \\(PID ${pid}\\)$`, 'm'))
    expect(status.stdout).toMatch(/^Schedule: +every 1 hour$/m)
    expect(status.stdout).toMatch(/^Next run: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(in /m)
    expect(status.stdout).toMatch(new RegExp(`^Last run: +success in [\\d.]+s, finished .*\\(${run.id}\\)$`, 'm'))

    expect(JSON.parse(json.stdout)).toMatchObject({ is_running: true, pid: Number(pid), schedule: { type: 'interval', interval_seconds: 3600 } })

    expect(table.code).toBe(0)
    const [header, row] = table.stdout.trimEnd().split('\n')
    expect(header).toMatch(/^ID +TRIGGER +STATUS +STARTED +DURATION +STEPS +NOTE$/)
    expect(row).toMatch(new RegExp(`^${run.id} +schedule +success +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +[\\d.]+s +1/1$`))
    expect(JSON.parse(runsJson.stdout).runs).toHaveLength(1)
    expect(tail.code).toBe(0)
    expect(tail.stdout.trimEnd().split('\n')).toHaveLength(3)
    expect(all.stdout).toContain('greet out 3')
    // One step, in the singular.
    expect(all.stdout).toMatch(/Daemon started \(PID: \d+, interval: 3600 seconds, pipeline: cli-test, 1 step\)\n/)

    const now = await cli('run-now')
    expect(now.code).toBe(0)
    expect(now.stdout).toMatch(/^Run started/)
    await waitFor(async () => (await api.runs()).runs.some((r) => r.trigger === 'manual' && r.status === 'success'), { timeoutMs: 20_000, what: 'the manual run' })

    expect(await cli('stop', '--drain')).toEqual({ code: 0, stdout: 'Daemon stopped successfully\n', stderr: '' })
    expect((await cli('run-now')).stderr).toBe('pipeline-cron: Daemon is not running\n')
    expect(await cli('clear-logs')).toEqual({ code: 0, stdout: 'Logs cleared successfully\n', stderr: '' })
    expect((await cli('logs')).stdout).not.toContain('greet out')
  }, 120_000)

  it('prints "No runs yet." - an empty history', { timeout: 60_000 }, async () => {
    const fresh = await startServer({ pipeline })
    try {
      expect(await runCli(['runs', '--url', fresh.url])).toEqual({ code: 0, stdout: 'No runs yet.\n', stderr: '' })
    } finally {
      await fresh.cleanup()
    }
  })

  it('exits 1 naming the URL - no server there', async () => {
    const port = await closedPort()
    const r = await runCli(['status', '--url', `http://127.0.0.1:${port}`])
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `pipeline-cron: cannot reach http://127.0.0.1:${port} (ECONNREFUSED); is the server running? (--url / PIPELINE_CRON_URL)\n`,
    })
  })
})

describe('client commands with a token', () => {
  let guarded: TestServer
  beforeAll(async () => {
    guarded = await startServer({ pipeline, args: ['--token', 's3cret', '--min-interval', '10'] })
  })
  afterAll(async () => {
    await guarded?.cleanup()
  })

  it('says to pass --token or set CRON_API_TOKEN without the token, and works with either', async () => {
    const [without, flag, env] = await Promise.all([
      runCli(['status', '--url', guarded.url]),
      runCli(['status', '--url', guarded.url, '--token', 's3cret']),
      runCli(['status', '--json'], { env: { PIPELINE_CRON_URL: guarded.url, CRON_API_TOKEN: 's3cret' } }),
    ])
    expect(without).toEqual({ code: 1, stdout: '', stderr: 'pipeline-cron: the server needs a token: pass --token TOKEN or set CRON_API_TOKEN\n' })
    expect(flag.code).toBe(0)
    expect(flag.stdout).toMatch(/^Daemon: +stopped$/m)
    expect(JSON.parse(env.stdout).is_running).toBe(false)
  })

  it('says the token was refused and where it came from, and exits 1 - a wrong token', async () => {
    expect(await runCli(['status', '--url', guarded.url], { env: { CRON_API_TOKEN: 'wrong' } })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'pipeline-cron: the server refused the token (Invalid token): check --token or CRON_API_TOKEN\n',
    })
  })

  it('says --every must be at least 10s, the server\'s minimum - --every 5 on a server with the default minimum', async () => {
    expect(await runCli(['start', '--every', '5', '--url', guarded.url, '--token', 's3cret'])).toEqual({
      code: 1,
      stdout: '',
      stderr: "pipeline-cron: --every: must be at least 10s (the server's minimum)\n",
    })
  })
})
