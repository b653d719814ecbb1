/**
 * A cluster on this machine: the test's own redis-server, API replicas (`serve --redis`) and
 * workers (`worker --redis`) as separate processes of the built CLI, each killed by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DIST, tempDir } from '../helpers/server.js'
import { isAlive } from '../helpers/procs.js'
import { waitFor } from '../helpers/wait.js'

export interface ClusterProcess {
  pid: number
  output: () => string
  /** Sends `signal` and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>
  exited: Promise<number | null>
}

export interface Replica extends ClusterProcess {
  url: string
}

/** A folder with `pipeline.json` written from `pipeline` (as every host of the cluster has it). */
export function pipelineDir(pipeline: unknown): { dir: string; file: string } {
  const dir = tempDir('pc-cluster-')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'pipeline.json')
  writeFileSync(file, JSON.stringify(pipeline, null, 2))
  return { dir, file }
}

function launch(args: string[], env: Record<string, string> = {}): ClusterProcess & { child: ChildProcess } {
  const child = spawn(process.execPath, [join(DIST, 'cli.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return
      try {
        process.kill(child.pid!, signal)
      } catch {
        return
      }
      await exited
    },
  }
}

/** `serve --redis URL` on a free loopback port (no `--pipeline` when `pipelineFile` is ''); resolves once it listens. */
export async function startReplica(redisUrl: string, pipelineFile: string, extra: string[] = []): Promise<Replica> {
  const pipeline = pipelineFile ? ['--pipeline', pipelineFile] : []
  const p = launch(['serve', '--redis', redisUrl, '--port', '0', '--host', '127.0.0.1', ...pipeline, '--min-interval', '1', ...extra])
  const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(p.output())?.[1] ?? (p.child.exitCode !== null ? 'exited' : null), { timeoutMs: 15_000, what: 'the replica to listen' }).catch(async (err: Error) => {
    // A replica that never listened is not left behind.
    await p.kill('SIGKILL')
    throw err
  })
  if (url === 'exited') throw new Error(`replica exited: ${p.output()}`)
  return { ...p, url }
}

/** `worker --redis URL`; resolves once it says it is ready. */
export async function startWorker(redisUrl: string, pipelineFile: string, extra: string[] = [], env: Record<string, string> = {}): Promise<ClusterProcess> {
  const pipeline = pipelineFile ? ['--pipeline', pipelineFile] : []
  const p = launch(['worker', '--redis', redisUrl, ...pipeline, '--stop-grace', '2', ...extra], env)
  const ready = await waitFor(() => (/pipeline-cron worker .* on redis/.test(p.output()) ? 'ready' : p.child.exitCode !== null ? 'exited' : null), { timeoutMs: 15_000, what: 'the worker to start' }).catch(async (err: Error) => {
    await p.kill('SIGKILL')
    throw err
  })
  if (ready === 'exited') throw new Error(`worker exited: ${p.output()}`)
  return p
}

/** Runs the CLI to its end (a start-up that must fail, for instance). */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const p = launch(args, env)
  const code = await p.exited
  return { code, output: p.output() }
}

export async function api<T = any>(base: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(base + path, {
    method: init.method ?? 'GET',
    headers: init.body !== undefined ? { 'Content-Type': 'application/json' } : {},
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  })
  const text = await res.text()
  let body: any = text
  try {
    body = JSON.parse(text)
  } catch {
    // plain text (tail)
  }
  return { status: res.status, body }
}

/** True while `pid` runs (zombies count as gone). */
export const alive = isAlive
