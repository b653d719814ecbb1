import { spawn } from 'node:child_process'
import type { ProcessRunner, SpawnedProcess } from '../../src/ports.js'

// After the step exits, its output pipes get this long to drain before we stop waiting:
// a background child that kept them open must not hold the run.
const DRAIN_MS = 1000

/** Runs each step as the leader of its own process group, its output decoded as UTF-8. */
export const childProcessRunner: ProcessRunner = {
  spawn(req, onOutput): SpawnedProcess {
    const [cmd, ...args] = req.argv
    const child = spawn(cmd!, args, { cwd: req.cwd, env: req.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (text: string) => onOutput(text, 'stdout'))
    child.stderr.on('data', (text: string) => onOutput(text, 'stderr'))
    const pid = child.pid ?? -1

    const exited = new Promise<{ exitCode: number | null; signal: string | null; error?: string }>((resolve) => {
      child.once('error', (err: NodeJS.ErrnoException) => {
        resolve({ exitCode: null, signal: null, error: `could not start ${cmd} in ${req.cwd} (${err.code ?? err.message})` })
      })
      child.once('exit', (exitCode, signal) => {
        // Background children of a finished step would outlive it: end its group.
        killGroup(pid, 'SIGTERM')
        const done = () => resolve({ exitCode, signal })
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
