import { spawn, type ChildProcessByStdio } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import type { ProcessRunner, SpawnedProcess } from '../../src/ports.js'

// After the step exits, its output pipes get this long to drain before we stop waiting:
// a background child that kept them open must not hold the run.
const DRAIN_MS = 1000

/** Runs each step as the leader of its own process group, its output decoded as UTF-8. */
export const childProcessRunner: ProcessRunner = {
  spawn(req, onOutput): SpawnedProcess {
    const [cmd, ...args] = req.argv
    const child = spawn(cmd!, args, { cwd: req.cwd, env: req.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    return followStep(child, onOutput, { startError: (reason) => `could not start ${cmd} in ${req.cwd} (${reason})` })
  },
}

export interface FollowOptions {
  /** Why the process could not start, from the spawn error's code. */
  startError: (reason: string) => string
  /** An error to report for an exit code (a wrapper's "not found"), if any. */
  exitError?: (exitCode: number | null) => string | undefined
  /** Called as the process exits, before its output is drained. */
  onExit?: () => void
}

/**
 * A spawned step (detached: the leader of its own group) as the runner port sees it: its output
 * as UTF-8 text, its exit once the output is delivered (or after DRAIN_MS), its group to signal.
 */
export function followStep(
  child: ChildProcessByStdio<Writable | null, Readable, Readable>,
  onOutput: (text: string, stream: 'stdout' | 'stderr') => void,
  options: FollowOptions,
): SpawnedProcess {
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stdout.on('data', (text: string) => onOutput(text, 'stdout'))
  child.stderr.on('data', (text: string) => onOutput(text, 'stderr'))
  const pid = child.pid ?? -1

  const exited = new Promise<{ exitCode: number | null; signal: string | null; error?: string }>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => resolve({ exitCode: null, signal: null, error: options.startError(err.code ?? err.message) }))
    child.once('exit', (exitCode, signal) => {
      options.onExit?.()
      // Background children of a finished step would outlive it: end its group.
      killGroup(pid, 'SIGTERM')
      const error = options.exitError?.(exitCode)
      const done = () => resolve({ exitCode, signal, ...(error ? { error } : {}) })
      if (child.stdout.readableEnded && child.stderr.readableEnded) return done()
      const timer = setTimeout(() => {
        child.stdout.destroy()
        child.stderr.destroy()
        done()
      }, DRAIN_MS)
      child.once('close', () => {
        clearTimeout(timer)
        done()
      })
    })
  })

  return { pid, exited, killGroup: (signal) => killGroup(pid, signal) }
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  if (!(pid > 1)) return
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is already gone.
  }
}
