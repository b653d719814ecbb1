/**
 * Steps on a leash: a worker killed with -9 must not leave its step running, or the next tick,
 * started on another worker, would overlap it. Each step runs under a small `sh` guard that holds
 * the read end of a pipe whose only writer is the worker: when the worker dies, the pipe ends and
 * the guard kills the step's whole process group. (Linux's PR_SET_PDEATHSIG is not reachable
 * from Node.) Otherwise it behaves as the local runner: own process group, output as UTF-8.
 */
import { spawn } from 'node:child_process'
import type { ProcessRunner, SpawnedProcess } from '../../src/ports.js'

// fd 3 keeps the pipe: a background job's stdin would be /dev/null. `read` returns only at EOF
// (the worker never writes), i.e. when the worker is gone or closed it after the step ended.
const GUARD = [
  'exec 3<&0 0</dev/null',
  '"$@" 3<&- &',
  'step=$!',
  '(read _ <&3; kill -KILL 0) 2>/dev/null &',
  'guard=$!',
  'exec 3<&-',
  'wait "$step"; code=$?',
  'kill "$guard" 2>/dev/null',
  'exit "$code"',
].join('\n')

// After the step exits, its output pipes get this long to drain (as the local runner does).
const DRAIN_MS = 1000

export const leashedRunner: ProcessRunner = {
  spawn(req, onOutput): SpawnedProcess {
    const child = spawn('/bin/sh', ['-c', GUARD, 'pipeline-cron-step', ...req.argv], { cwd: req.cwd, env: req.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
    // The worker keeps the write end open, and never writes: its death is the guard's EOF.
    child.stdin.on('error', () => undefined)
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (text: string) => onOutput(text, 'stdout'))
    child.stderr.on('data', (text: string) => onOutput(text, 'stderr'))
    const pid = child.pid ?? -1

    const exited = new Promise<{ exitCode: number | null; signal: string | null; error?: string }>((resolve) => {
      child.once('error', (err: NodeJS.ErrnoException) => resolve({ exitCode: null, signal: null, error: `could not start /bin/sh in ${req.cwd} (${err.code ?? err.message})` }))
      child.once('exit', (exitCode, signal) => {
        child.stdin.destroy()
        killGroup(pid, 'SIGTERM')
        // sh reports a command it could not find as exit 127 (the local runner names it).
        const error = exitCode === 127 ? `could not start ${req.argv[0]} in ${req.cwd} (exit 127: not found or not executable)` : undefined
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
  },
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  if (!(pid > 1)) return
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is already gone.
  }
}
