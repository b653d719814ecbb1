/** The command line itself: help for every command, serve as the default, one-line usage errors. */
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/server.js'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, spawnCli, watchCli } from './run-cli.js'

const COMMANDS = ['serve', 'list', 'start', 'stop', 'status', 'pause', 'resume', 'logs', 'clear-logs', 'runs', 'run-now', 'run-once']
const dir = tempDir('pc-cli-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('pipeline-cron', () => {
  it('lists every command in --help and exits 0', async () => {
    const r = await runCli(['--help'])
    expect(r.code).toBe(0)
    for (const name of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'))
  })

  it('prints help for every command and exits 0', async () => {
    const results = await Promise.all(COMMANDS.map((name) => runCli([name, '--help'])))
    results.forEach((r, i) => {
      expect(r.code, COMMANDS[i]).toBe(0)
      expect(r.stdout).toContain(`Usage: pipeline-cron ${COMMANDS[i]} [options]`)
    })
    const [serve, list, start] = results
    expect(list!.stdout).toContain('--json')
    for (const flag of ['--port', '--host', '--pipeline', '--state-dir', '--log-file', '--token', '--min-interval', '--stop-grace']) expect(serve!.stdout).toContain(flag)
    for (const flag of ['--every', '--cron', '--tz', '--no-run-immediately', '--url', '--token', '--name']) expect(start!.stdout).toContain(flag)
    // Every command about one pipeline takes --name (PIPELINE_CRON_NAME).
    results.slice(2, -1).forEach((r, i) => expect(r.stdout, COMMANDS[i + 2]).toMatch(/--name <name>[\s\S]*PIPELINE_CRON_NAME/))
  })

  it('exits 1 with one line - an unknown command, an unknown option, a bad flag value', async () => {
    const [command, option, value] = await Promise.all([runCli(['bogus']), runCli(['status', '--bogus']), runCli(['serve', '--port', 'x'])])
    expect(command).toEqual({ code: 1, stdout: '', stderr: 'pipeline-cron: unknown command "bogus"; see pipeline-cron --help\n' })
    expect(option).toEqual({ code: 1, stdout: '', stderr: "pipeline-cron: unknown option '--bogus'\n" })
    expect(value).toEqual({ code: 1, stdout: '', stderr: 'pipeline-cron: --port: expected an integer from 0 to 65535, got "x"\n' })
  })

  it('exits 1 with one line naming the rule - a --name (or PIPELINE_CRON_NAME) that is not a pipeline name', async () => {
    const [flag, env] = await Promise.all([runCli(['status', '--name', '../x']), runCli(['stop'], { env: { PIPELINE_CRON_NAME: 'Orders' } })])
    expect(flag).toEqual({
      code: 1,
      stdout: '',
      stderr: "pipeline-cron: option '--name <name>' argument '../x' is invalid. expected a pipeline name: lower-case letters, digits, - and _, at most 64 characters.\n",
    })
    expect(env.code).toBe(1)
    expect(env.stderr).toBe(
      "pipeline-cron: option '--name <name>' value 'Orders' from env 'PIPELINE_CRON_NAME' is invalid. expected a pipeline name: lower-case letters, digits, - and _, at most 64 characters.\n",
    )
  })

  it('serves when no command is given, with the same flags as serve', { timeout: 60_000 }, async () => {
    const args = ['--port', '0', '--host', '127.0.0.1', '--state-dir', join(dir, 'state'), '--log-file', join(dir, 'p.log'), '--pipeline', join(dir, 'none.json')]
    // A missing pipeline file stops start-up with one line naming it.
    const bad = await runCli(args)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^pipeline-cron: .*none\.json: cannot read the pipeline file \(ENOENT\)\n$/)

    // No --pipeline: ./pipeline.json of the working directory is the default.
    writeFileSync(join(dir, 'pipeline.json'), JSON.stringify({ steps: [{ name: 'noop', run: 'true' }] }))
    const server = watchCli(spawnCli(['--port', '0', '--host', '127.0.0.1', '--state-dir', join(dir, 'state'), '--log-file', join(dir, 'p.log')], { cwd: dir }))
    try {
      await server.until((o) => /listening on http:\/\/127\.0\.0\.1:\d+/.test(o.stdout), 'the server to listen', 30_000)
      expect(server.out.stdout).toContain(join(dir, 'pipeline.json'))
      const url = /listening on (http:\/\/\S+)/.exec(server.out.stdout)![1]
      expect((await fetch(`${url}/health`)).status).toBe(200)
      expect(await server.stop('SIGTERM')).toBe(0)
    } finally {
      await server.stop('SIGKILL')
    }
  })
})
