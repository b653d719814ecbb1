/**
 * The package as a user gets it: `npm pack`, then `npm install` of the tarball into a fresh app
 * that has its own hono (4.13.12, the low end of the peer range), and everything run from there:
 * the bin, the client's types, an embedding parent app, and the Bun entry under Bun.
 * Needs the full build (`npm run build`: dist/ with its .d.ts files) and the npm registry.
 */
import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUN, call, DIST, killDaemonsOf, ROOT, tempDir } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'
import { cleanEnv, run } from './support.js'

const APP_HONO = '4.13.12'
const APP_NODE_SERVER = '2.1.9'
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc')

const dir = tempDir('pc-package-')
const app = join(dir, 'app')
const installed = join(app, 'node_modules', 'pipeline-cron')
let packed: string[] = []
const started: { pid: number; stateDir: string }[] = []

/** Every installed copy of a package: `<folder>/package.json` anywhere under node_modules. */
function copiesOf(name: string, root = join(app, 'node_modules')): string[] {
  const found: string[] = []
  for (const entry of readdirSync(root)) {
    const path = join(root, entry)
    if (entry.startsWith('@')) found.push(...copiesOf(name, path).filter((p) => !found.includes(p)))
    else if (statSync(path).isDirectory()) {
      if (path.endsWith(`/node_modules/${name}`) && existsSync(join(path, 'package.json'))) found.push(path)
      if (existsSync(join(path, 'node_modules'))) found.push(...copiesOf(name, join(path, 'node_modules')))
    }
  }
  return found
}

/** Starts a long-running command of the app and waits for `ready`; ended by pid after the suite. */
async function serveFromApp(cmd: string, args: string[], ready: RegExp, stateDir: string): Promise<{ url: string; output: () => string }> {
  const child = spawn(cmd, args, { cwd: app, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  started.push({ pid: child.pid!, stateDir })
  const url = await waitFor(() => (child.exitCode !== null ? Promise.reject(new Error(`exited: ${out}`)) : ready.exec(out)?.[1]), { timeoutMs: 20_000, what: `${args.join(' ')} to listen` })
  return { url, output: () => out }
}

const stateFlags = (name: string) => ['--state-dir', join(dir, name, 'state'), '--log-file', join(dir, name, 'pipeline.log'), '--min-interval', '1']

beforeAll(async () => {
  for (const built of ['cli.js', 'daemon.js', 'bun.js', 'bun-daemon.js', 'index.d.ts', 'client.d.ts', 'bun.d.ts']) {
    if (!existsSync(join(DIST, built))) throw new Error(`dist/${built} is missing: run npm run build first (the package test packs dist/)`)
  }
  // A generated file where the bundled example writes its output: it must not be packed.
  mkdirSync(join(ROOT, 'examples', 'out'), { recursive: true })
  const probe = join(ROOT, 'examples', 'out', `pack-probe-${process.pid}.csv`)
  writeFileSync(probe, 'id,total\n')
  try {
    // --ignore-scripts: prepack would rebuild dist/ under the other suites' feet.
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, timeoutMs: 60_000 })
    expect(pack.code, pack.out).toBe(0)
    const [info] = JSON.parse(pack.out.slice(pack.out.indexOf('['))) as [{ filename: string; files: { path: string }[] }]
    packed = info.files.map((f) => f.path)
    mkdirSync(app)
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pc-package-app', private: true, type: 'module' }))
    const install = await run('npm', ['install', '--no-audit', '--no-fund', join(dir, info.filename), `hono@${APP_HONO}`, `@hono/node-server@${APP_NODE_SERVER}`], { cwd: app, timeoutMs: 240_000 })
    expect(install.code, install.out).toBe(0)
  } finally {
    rmSync(probe, { force: true })
  }
}, 300_000)

afterAll(async () => {
  for (const { pid, stateDir } of started) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
    killDaemonsOf(stateDir)
  }
  rmSync(dir, { recursive: true, force: true })
})

describe('the packed package', () => {
  it('ships dist with the Bun entry and its daemon, the examples and the changelog, and no generated output from examples/out', () => {
    expect(packed).toEqual(expect.arrayContaining(['dist/cli.js', 'dist/bun.js', 'dist/bun-daemon.js', 'dist/bun.d.ts', 'examples/embed.mjs', 'examples/pipeline.json', 'LICENSE', 'CHANGELOG.md', 'README.md']))
    expect(packed.filter((p) => p.startsWith('examples/out') || p.startsWith('src/') || p.startsWith('test/') || p.startsWith('adapters/'))).toEqual([])
  })

  it(`leaves one hono in the app, its own ${APP_HONO}, and one @hono/node-server`, () => {
    const honos = copiesOf('hono').map((p) => JSON.parse(readFileSync(join(p, 'package.json'), 'utf8')).version)
    expect(honos).toEqual([APP_HONO])
    expect(copiesOf('@hono/node-server')).toHaveLength(1)
  })

  it('runs the bin: npx pipeline-cron --help, then serve with start, status and stop through the CLI', { timeout: 90_000 }, async () => {
    const help = await run('npx', ['pipeline-cron', '--help'], { cwd: app })
    expect(help.code, help.out).toBe(0)
    expect(help.out).toMatch(/^Usage: pipeline-cron/m)

    const stateDir = join(dir, 'bin', 'state')
    const server = await serveFromApp(join(app, 'node_modules', '.bin', 'pipeline-cron'), ['serve', '--port', '0', ...stateFlags('bin')], /listening on (http:\/\/\S+)/, stateDir)
    const cli = (...args: string[]) => run(join(app, 'node_modules', '.bin', 'pipeline-cron'), [...args, '--url', server.url], { cwd: app })
    const start = await cli('start', '--every', '60')
    expect(start.code, start.out).toBe(0)
    await waitFor(async () => (await call(server.url, 'GET', '/api/cron/status')).body.last_run?.status === 'success', { timeoutMs: 20_000, what: 'the bundled pipeline to succeed' })
    const status = await cli('status')
    expect(status.out).toMatch(/running/i)
    const stop = await cli('stop')
    expect(stop.code, stop.out).toBe(0)
    expect((await call(server.url, 'GET', '/api/cron/status')).body.is_running).toBe(false)
  })

  it('typechecks a TypeScript file that uses the client and the embedding API against the installed types', { timeout: 90_000 }, async () => {
    writeFileSync(
      join(app, 'check.ts'),
      [
        "import { Hono } from 'hono'",
        "import { createApp, resolveConfig } from 'pipeline-cron'",
        "import { createDeps } from 'pipeline-cron/node'",
        "import { PipelineCronClient, PipelineCronError, type DaemonStatus } from 'pipeline-cron/client'",
        '',
        "const cron = new PipelineCronClient('http://127.0.0.1:8000', { token: null })",
        'export const status: Promise<DaemonStatus> = cron.status()',
        "export const running: Promise<boolean> = cron.pipeline('orders').status().then((s) => s.is_running)",
        '// @ts-expect-error interval_seconds is a number: the types are the API\'s, not any',
        "export const wrong = cron.start({ interval_seconds: '60' })",
        'export const isError = (e: unknown) => e instanceof PipelineCronError && e.status === 409',
        "new Hono().route('/cron', createApp(createDeps(resolveConfig([], {}))))",
        '',
      ].join('\n'),
    )
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, lib: ['ES2022', 'DOM'], types: [] }, files: ['check.ts'] }),
    )
    const tsc = await run(TSC, ['-p', app], { cwd: app, timeoutMs: 90_000 })
    expect(tsc.out).toBe('')
    expect(tsc.code).toBe(0)
  })

  it('serves the dashboard (200) and the API under /cron of a parent app using the app\'s own hono', { timeout: 60_000 }, async () => {
    cpSync(join(installed, 'examples', 'embed.mjs'), join(app, 'embed.mjs'))
    const stateDir = join(dir, 'embed', 'state')
    const parent = await serveFromApp(process.execPath, ['embed.mjs', '--port', '0', ...stateFlags('embed')], /listening on (http:\/\/\S+?)\/ /, stateDir)
    const page = await call(parent.url, 'GET', '/cron/')
    expect(page.status, page.text).toBe(200)
    expect(page.text).toContain('<title>')
    expect((await call(parent.url, 'GET', '/cron/assets/dashboard.js')).status).toBe(200)
    expect((await call(parent.url, 'GET', '/cron/api/cron/status')).body.is_running).toBe(false)
    expect((await call(parent.url, 'POST', '/cron/api/cron/start', { json: { interval_seconds: 60 } })).status).toBe(200)
    await waitFor(async () => (await call(parent.url, 'GET', '/cron/api/cron/status')).body.last_run?.status === 'success', { timeoutMs: 20_000, what: 'a run' })
    expect((await call(parent.url, 'POST', '/cron/api/cron/stop')).status).toBe(200)
  })

  it('imports pipeline-cron/bun under Bun and runs the pipeline with a Bun daemon from dist/bun-daemon.js', { timeout: 60_000 }, async () => {
    writeFileSync(
      join(app, 'bun-serve.mjs'),
      [
        "import { resolveConfig } from 'pipeline-cron'",
        "import { serve } from 'pipeline-cron/bun'",
        'await serve(resolveConfig(process.argv.slice(2), process.env))',
        '',
      ].join('\n'),
    )
    const stateDir = join(dir, 'bun', 'state')
    const server = await serveFromApp(BUN, ['bun-serve.mjs', '--port', '0', ...stateFlags('bun')], /listening on (http:\/\/\S+)/, stateDir)
    expect(server.output()).toContain('runtime: bun')
    const startRes = await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    expect(startRes.status, startRes.text).toBe(200)
    const pid = Number(/PID: (\d+)/.exec(startRes.body.message)![1])
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    expect(cmdline[1]).toBe(join(installed, 'dist', 'bun-daemon.js'))
    await waitFor(async () => (await call(server.url, 'GET', '/api/cron/status')).body.last_run?.status === 'success', { timeoutMs: 20_000, what: 'a run under Bun' })
    expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
  })
})
