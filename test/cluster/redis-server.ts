/**
 * A redis-server of the test's own, on a free loopback port and a temp dir, started as the
 * operator would run it (AOF on, noeviction) and killed by its pid at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemDep } from '../conformance/support.js'
import { waitFor } from '../helpers/wait.js'

export interface TestRedis {
  url: string
  port: number
  dir: string
  pid: () => number
  /** Kills Redis with `signal` and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Starts it again on the same port and dir (its AOF brings the data back). */
  restart(): Promise<void>
  stop(): Promise<void>
}

export const REDIS_BIN = process.env.REDIS_SERVER ?? '/usr/bin/redis-server'

/** Without redis-server the cluster suites skip loudly, or fail under PIPELINE_CRON_REQUIRE_SYSTEM_DEPS=1 (CI). */
export const redisDep = systemDep('redis-server', existsSync(REDIS_BIN), 'apt-get install -y redis-server')

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

export async function startRedis(extraArgs: string[] = []): Promise<TestRedis> {
  redisDep.assert()
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'pc-redis-'))
  let child: ChildProcess
  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction', ...extraArgs]
    child = spawn(REDIS_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    await waitFor(() => /Ready to accept connections/.test(out) || child.exitCode !== null, { timeoutMs: 10_000, what: 'redis-server to start' })
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${out}`)
  }
  await launch()
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    process.kill(child.pid!, signal)
    await exited
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    pid: () => child.pid!,
    kill,
    restart: launch,
    async stop() {
      await kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
