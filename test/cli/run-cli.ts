import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { DIST } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'

export const CLI = join(DIST, 'cli.js')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

// The caller's shell may point the CLI somewhere; tests say where explicitly.
const CLEAN_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !['PIPELINE_CRON_URL', 'PIPELINE_CRON_NAME', 'CRON_API_TOKEN', 'NO_COLOR', 'PIPELINE_FILE', 'FORCE_COLOR'].includes(k)),
)

/** Runs `node dist/cli.js ...args` to its end (killed after `timeoutMs`) and returns its output. */
export function runCli(args: string[], o: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const child = spawnCli(args, o)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`pipeline-cron ${args.join(' ')} did not end within ${o.timeoutMs ?? 30_000} ms; stdout: ${stdout}; stderr: ${stderr}`))
    }, o.timeoutMs ?? 30_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Starts the CLI and leaves it running (for `serve` and `logs -f`); the caller ends it by pid. */
export function spawnCli(args: string[], o: { env?: Record<string, string>; cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd: o.cwd, env: { ...CLEAN_ENV, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] })
}

/** A running CLI process with its output so far, and a bounded wait on it. */
export function watchCli(child: ChildProcess) {
  const out = { stdout: '', stderr: '' }
  child.stdout!.on('data', (d) => (out.stdout += d))
  child.stderr!.on('data', (d) => (out.stderr += d))
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  return {
    out,
    exited,
    /** Waits for `check`; fails at once if the process has ended without it. */
    async until(check: (o: typeof out) => boolean, what: string, timeoutMs = 15_000) {
      const ended = () => child.exitCode !== null || child.signalCode !== null
      await waitFor(() => check(out) || ended(), { timeoutMs, what })
      if (!check(out)) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before ${what}; stderr: ${out.stderr}`)
    },
    /** Ends the process: `signal` first, SIGKILL if it is still there after 5 s. */
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return exited
      child.kill(signal)
      const t = setTimeout(() => child.kill('SIGKILL'), 5000)
      const code = await exited
      clearTimeout(t)
      return code
    },
  }
}
