/**
 * `npm start` in a fresh clone: its command (read from package.json) prints the server line and
 * the dashboard's URL, and nothing else but warnings - no build output - within seconds.
 */
import { spawn } from 'node:child_process'
import { cpSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { call, killDaemonsOf, ROOT, tempDir } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'
import { cleanEnv } from './support.js'

// What a clone has that the build reads; node_modules is this checkout's (npm ci's).
const SOURCES = ['package.json', 'tsconfig.json', 'tsup.config.ts', 'src', 'adapters', 'scripts', 'examples']
const GENERATED = /client-bundle\.generated\.ts/

describe('npm start', () => {
  it('prints only the server line and the dashboard URL, builds in a few seconds, and the dashboard answers - a clone with no dist/', { timeout: 120_000 }, async (ctx) => {
    const clone = tempDir('pc-npm-start-')
    ctx.onTestFinished(() => {
      killDaemonsOf(join(clone, '.pipeline-cron'))
      rmSync(clone, { recursive: true, force: true })
    })
    for (const name of SOURCES) cpSync(join(ROOT, name), join(clone, name), { recursive: true, filter: (src) => !GENERATED.test(src) && !src.includes(`${join('examples', 'out')}`) })
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'))
    const start = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')).scripts.start as string

    const began = Date.now()
    // Its own process group (detached), so the shell and the server it starts end together.
    const child = spawn('/bin/sh', ['-c', start], {
      cwd: clone,
      detached: true,
      env: cleanEnv({ PORT: '0', PATH: `${join(clone, 'node_modules', '.bin')}:${process.env.PATH}` }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const closed = new Promise((r) => child.once('close', r))
    ctx.onTestFinished(async () => {
      try {
        process.kill(-child.pid!, 'SIGTERM')
      } catch {
        // already gone
      }
      await closed
    })
    const url = await waitFor(() => (child.exitCode !== null ? Promise.reject(new Error(out)) : /^dashboard: (http:\/\/\S+)\/$/m.exec(out)?.[1]), {
      timeoutMs: 90_000,
      what: 'the dashboard line',
    })
    const seconds = (Date.now() - began) / 1000
    expect(seconds).toBeLessThan(60) // about 10 s here on two busy cores
    expect((await call(url, 'GET', '/')).status).toBe(200)

    const lines = out.split('\n').filter((l) => l.trim() !== '')
    expect(lines[0]).toMatch(/^pipeline-cron listening on http:\/\/127\.0\.0\.1:\d+ \(runtime: node; pipeline: .*examples\/pipeline\.json, 3 steps; state: .*\)$/)
    expect(lines[1]).toBe(`dashboard: ${url}/`)
    expect(lines.slice(2).filter((l) => !/warn/i.test(l))).toEqual([])
  })
})
