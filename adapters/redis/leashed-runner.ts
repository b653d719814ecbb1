/**
 * Steps on a leash: a worker killed with -9 must not leave its step running, or the next tick,
 * started on another worker, would overlap it. Each step runs under a small `sh` guard that holds
 * the read end of a pipe whose only writer is the worker: when the worker dies, the pipe ends and
 * the guard kills the step's whole process group. (Linux's PR_SET_PDEATHSIG is not reachable
 * from Node.) Otherwise it behaves as the local runner: own process group, output as UTF-8.
 */
import { spawn } from 'node:child_process'
import type { ProcessRunner, SpawnedProcess } from '../../src/ports.js'
import { followStep } from '../node/process-runner.js'

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

export const leashedRunner: ProcessRunner = {
  spawn(req, onOutput): SpawnedProcess {
    const child = spawn('/bin/sh', ['-c', GUARD, 'pipeline-cron-step', ...req.argv], { cwd: req.cwd, env: req.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
    // The worker keeps the write end open, and never writes: its death is the guard's EOF.
    child.stdin.on('error', () => undefined)
    return followStep(child, onOutput, {
      startError: (reason) => `could not start /bin/sh in ${req.cwd} (${reason})`,
      // sh reports a command it could not find as exit 127 (the local runner names it).
      exitError: (code) => (code === 127 ? `could not start ${req.argv[0]} in ${req.cwd} (exit 127: not found or not executable)` : undefined),
      onExit: () => child.stdin.destroy(),
    })
  },
}
