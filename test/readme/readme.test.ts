/**
 * Every README code block that can run is run, so the README cannot drift from the code: the
 * examples it shows are the files test/examples runs, the pipeline file parses, and its curl,
 * CLI, server and logrotate lines run against real servers on ephemeral ports (the README's
 * `localhost:8000` written as the test server's address). A block a test cannot run says why.
 */
import { spawn } from 'node:child_process'
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parsePipeline } from '../../src/pipeline.js'
import { EXAMPLES, examplePipeline, exampleServer } from '../examples/support.js'
import { call, DIST, ROOT, tempDir, type TestServer } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'
import { atServer, commandsOf, readmeBlocks, RUNNABLE, withoutComment, type Block } from './blocks.js'
import { sh } from './run-command.js'

const blocks = readmeBlocks()
const marked = (kind: string) => blocks.filter((b) => b.marker?.split(' ')[0] === kind)
const named = (b: Block) => `README.md:${b.line}`

/** Waits for the first run of the started default pipeline to succeed; returns its id. */
async function firstRun(server: TestServer): Promise<string> {
  const started = await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } })
  expect(started.status, started.text).toBe(200)
  const status = await waitFor(async () => {
    const s = (await call(server.url, 'GET', '/api/cron/status')).body
    return s.last_run?.status === 'success' && !s.current_run ? s : null
  }, { timeoutMs: 20_000, what: 'the first run to succeed' })
  return status.last_run.id
}

describe('README code blocks', () => {
  it('marks every js, ts, bash, sh and json block with how a test runs it', () => {
    const unmarked = blocks.filter((b) => RUNNABLE.has(b.lang) && !b.marker).map(named)
    expect(unmarked).toEqual([])
    const kinds = new Set(['example', 'pipeline', 'curl', 'cli', 'server', 'logrotate', 'not', 'covered'])
    expect(blocks.filter((b) => b.marker && !kinds.has(b.marker.split(' ')[0]!)).map((b) => `${named(b)}: ${b.marker}`)).toEqual([])
  })

  it('names only test files that exist where a block is covered elsewhere', () => {
    for (const b of [...marked('covered'), ...marked('not')]) {
      for (const file of b.marker!.match(/test\/\S+\.test\.ts/g) ?? []) expect(existsSync(join(ROOT, file)), `${named(b)}: ${file}`).toBe(true)
    }
    expect(marked('covered').length).toBeGreaterThan(0)
  })

  it('shows each example file whole, and each of them is run by a test in test/examples', () => {
    const examples = marked('example')
    expect(examples.length).toBeGreaterThanOrEqual(4)
    const tests = readdirSync(join(ROOT, 'test', 'examples')).filter((f) => f.endsWith('.test.ts')).map((f) => readFileSync(join(ROOT, 'test', 'examples', f), 'utf8')).join('\n')
    for (const b of examples) {
      const file = b.marker!.split(' ')[1]!
      expect(`${b.code}\n`, `${named(b)} shows ${file}`).toBe(readFileSync(join(ROOT, file), 'utf8'))
      expect(tests, `a test in test/examples runs ${file}`).toContain(`'${file.replace(/^examples\//, '')}'`)
    }
  })

  it('shows a pipeline file that parses', () => {
    const [b] = marked('pipeline')
    expect(b).toBeDefined()
    expect(parsePipeline(b!.code, 'README.md').steps.length).toBeGreaterThan(0)
  })

  describe('curl blocks, against a real server', () => {
    it.for(marked('curl').map((b) => [named(b), b] as const))('%s answers 2xx to every command', { timeout: 60_000 }, async ([, b], ctx) => {
      const server = await exampleServer(ctx, { orders: b.marker!.includes('with pipelines') })
      const runId = b.marker!.includes('after a run') ? await firstRun(server) : null
      const dir = tempDir('pc-readme-curl-')
      ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
      for (const command of commandsOf(b.code)) {
        if (command.startsWith('pipeline-cron serve')) continue // the test's server stands in for it
        expect(command, `${named(b)}: only curl (and open, a browser's GET) run against a server`).toMatch(/^(curl|open) /)
        if (runId === null) expect(command).not.toContain('20261128T195100Z-1a2b')
        let line = atServer(command, server.url).replaceAll('20261128T195100Z-1a2b', runId ?? '')
        line = line.replace(/^(curl|open) /, `curl -sS -o '${dir}/body' -w '%{http_code}' --max-time 3 `)
        const ran = await sh(line, { cwd: dir })
        const body = existsSync(join(dir, 'body')) ? readFileSync(join(dir, 'body'), 'utf8').slice(0, 300) : ''
        // A stream never ends by itself: curl's --max-time (exit 28) after a 200 is its normal end.
        const streamed = command.includes('-N ') && ran.code === 28
        expect(ran.code === 0 || streamed, `${command}: curl exit ${ran.code} ${ran.stderr}`).toBe(true)
        expect(ran.stdout, `${command}: ${body}`).toMatch(/^2\d\d$/)
      }
    })
  })

  it('runs each CLI line in turn against a server of default and orders, every one exiting 0', { timeout: 120_000 }, async (ctx) => {
    const [b] = marked('cli')
    expect(b).toBeDefined()
    const server = await exampleServer(ctx, { orders: true })
    // run-once reads ./pipeline.json: the bundled example with its scripts, in a folder of its own.
    const cwd = tempDir('pc-readme-cli-')
    ctx.onTestFinished(() => rmSync(cwd, { recursive: true, force: true }))
    cpSync(join(EXAMPLES, 'scripts'), join(cwd, 'scripts'), { recursive: true })
    writeFileSync(join(cwd, 'pipeline.json'), JSON.stringify(examplePipeline()))
    const commands = commandsOf(b!.code)
    expect(commands.filter((c) => !c.startsWith('pipeline-cron '))).toEqual([])
    for (const command of commands) {
      if (command.startsWith('pipeline-cron serve')) continue // the test's server stands in for it
      // A person types the next command once the run they started is over (run-now answers 409 during a run).
      await waitFor(async () => (await call(server.url, 'GET', '/api/pipelines')).body.pipelines.every((p: { current_run: unknown }) => !p.current_run), {
        timeoutMs: 20_000,
        what: 'no run in progress',
      })
      const follows = / -f\b/.test(command)
      // exec: SIGINT (Ctrl-C) reaches the CLI itself.
      const ran = await sh(command.replace(/^pipeline-cron /, `exec '${process.execPath}' '${join(DIST, 'cli.js')}' `), {
        cwd,
        env: { PIPELINE_CRON_URL: server.url, NO_COLOR: '1' },
        interruptAfterMs: follows ? 500 : undefined,
      })
      expect(ran.code, `${command}: ${ran.stderr}${ran.stdout.slice(0, 300)}`).toBe(0)
      if (follows) expect(ran.stdout).toMatch(/Pipeline execution/)
    }
    expect((await call(server.url, 'GET', '/api/pipelines')).body.pipelines.map((p: { name: string; is_running: boolean }) => [p.name, p.is_running])).toEqual([
      ['default', false],
      ['orders', false],
    ])
  })

  it('starts each server line on an ephemeral port, and it answers /health', { timeout: 60_000 }, async (ctx) => {
    const servers = marked('server')
    expect(servers.length).toBeGreaterThan(0)
    for (const b of servers) {
      for (const command of commandsOf(b.code)) {
        const dir = tempDir('pc-readme-server-')
        ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
        const flags = `--state-dir '${dir}/state' --log-file '${dir}/pipeline.log' --pipeline '${join(EXAMPLES, 'pipeline.json')}'`
        // exec: the pid is the server's own, which the test ends.
        const child = spawn('/bin/sh', ['-c', `exec ${withoutComment(command).replace('--port 8000', '--port 0')} ${flags}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
        let out = ''
        child.stdout.on('data', (d) => (out += d))
        child.stderr.on('data', (d) => (out += d))
        const closed = new Promise((r) => child.once('close', r))
        ctx.onTestFinished(async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
          await closed
        })
        const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(out)?.[1], { timeoutMs: 20_000, what: `${command} to listen` })
        expect((await call(url, 'GET', '/health')).body.status).toBe('healthy')
        child.kill('SIGTERM')
        await closed
      }
    }
  })

  it('signals the daemon with the logrotate postrotate script, which finds it through daemon.json', { timeout: 60_000 }, async (ctx) => {
    const [b] = marked('logrotate')
    expect(b).toBeDefined()
    const script = /postrotate\n([\s\S]*?)\n\s*endscript/.exec(b!.code)![1]!
    const server = await exampleServer(ctx)
    await firstRun(server)
    const ran = await sh(script.replaceAll('/var/lib/pipeline-cron/', `${server.stateDir}/`), { cwd: server.dir })
    expect(ran.code, ran.stderr).toBe(0)
    await waitFor(() => readFileSync(server.logFile, 'utf8').includes(`Log file reopened on SIGHUP: ${server.logFile}`), { what: 'the SIGHUP line in the log' })
  })
})
