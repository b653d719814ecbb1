/**
 * Runs the examples as a user would, with plain `node`: each imports `pipeline-cron` by name,
 * which resolves to this checkout's built package (dist/) through its own package.json.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'vitest'
import { ROOT, startServer, tempDir, type ServerOptions, type TestServer } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'

export const EXAMPLES = join(ROOT, 'examples')

/** The bundled example pipeline (examples/pipeline.json), as a value to write elsewhere. */
export const examplePipeline = (): unknown => JSON.parse(readFileSync(join(EXAMPLES, 'pipeline.json'), 'utf8'))

type Ctx = Pick<TestContext, 'onTestFinished'>

/**
 * A real server running copies of the bundled example pipeline (its scripts copied beside them,
 * so runs never share examples/out): `default`, and `orders` too when asked.
 */
export async function exampleServer(ctx: Ctx, o: { orders?: boolean } & ServerOptions = {}): Promise<TestServer> {
  const dir = tempDir('pc-example-')
  cpSync(join(EXAMPLES, 'scripts'), join(dir, 'scripts'), { recursive: true })
  if (o.orders) cpSync(join(EXAMPLES, 'scripts'), join(dir, 'pipelines', 'scripts'), { recursive: true })
  const server = await startServer({ ...o, dir, pipeline: o.pipeline ?? examplePipeline(), pipelines: o.orders ? { orders: examplePipeline() } : undefined })
  ctx.onTestFinished(() => server.cleanup())
  return server
}

export interface Finished {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs `node examples/<file>` to its end (killed after `timeoutMs`). */
export function runExample(file: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Finished> {
  const child = spawn(process.execPath, [join(EXAMPLES, file)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    }),
  )
}

export interface Serving {
  child: ChildProcess
  /** The first match of `ready`'s group 1 in the output (a URL). */
  url: string
  output: () => string
}

/** Starts a long-running example and waits for its ready line; it is killed, by pid, when the test ends. */
export async function serveExample(ctx: Ctx, file: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<Serving> {
  const child = spawn(process.execPath, [join(EXAMPLES, file), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const closed = new Promise<void>((r) => child.once('close', () => r()))
  ctx.onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await closed
  })
  const url = await waitFor(() => (child.exitCode !== null ? Promise.reject(new Error(`exited: ${out}`)) : ready.exec(out)?.[1]), {
    timeoutMs: 15_000,
    what: `${file} to print its ready line`,
  })
  return { child, url, output: () => out }
}
