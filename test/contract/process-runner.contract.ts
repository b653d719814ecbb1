import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ProcessRunner, SpawnedProcess } from '../../src/ports.js'
import { until, within, type ContractHarness } from './harness.js'

export interface ProcessRunnerContract extends ContractHarness {
  make(): ProcessRunner
}

/** The fields of /proc/<pid>/stat after the command name (state, ppid, group, session...); null once it is gone. */
function statOf(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may hold spaces: cut at its closing paren.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return null
  }
}

/** The process group and session a process is in, or null once it is gone. */
export function groupAndSession(pid: number): { group: number; session: number } | null {
  const fields = statOf(pid)
  return fields ? { group: Number(fields[2]), session: Number(fields[3]) } : null
}

/** Whether `pid` is a live process (a zombie counts as gone). */
export function running(pid: number): boolean {
  const fields = statOf(pid)
  return fields !== null && fields[0] !== 'Z'
}

/**
 * The ProcessRunner contract: what the scheduler relies on from each runtime's way of running a
 * step (adapters/node/process-runner.ts, adapters/bun/process-runner.ts). Real processes, /bin/sh.
 */
export function processRunnerContract({ it, expect, make }: ProcessRunnerContract) {
  const run = (script: string, options: { cwd?: string; env?: Record<string, string> } = {}) => {
    const output = { stdout: '', stderr: '' }
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env }
    const proc = make().spawn({ argv: ['/bin/sh', '-c', script], cwd: options.cwd ?? tmpdir(), env }, (text, stream) => (output[stream] += text))
    return { proc, output, ended: (what: string) => within(proc.exited, 10_000, what) }
  }
  /** Ends a step the test left running, by its group: the step and anything it started. */
  const endGroup = (proc: SpawnedProcess) => proc.killGroup('SIGKILL')

  it('delivers stdout and stderr as text and exits with the exit code - a step that prints and exits 3', async () => {
    const { output, ended } = run('printf "out 1\\nout 2 €\\n"; printf "err\\n" >&2; exit 3')
    expect(await ended('the step to exit')).toEqual({ exitCode: 3, signal: null })
    expect(output).toEqual({ stdout: 'out 1\nout 2 €\n', stderr: 'err\n' })
  })

  it('runs the step in the given folder with exactly the given environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-runner-'))
    try {
      const { output, ended } = run('pwd; echo "$STEP_NAME"; echo "${HOME:-no home}"', { cwd: dir, env: { STEP_NAME: 'load' } })
      await ended('the step to exit')
      expect(output.stdout).toBe(`${dir}\nload\nno home\n`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('leads its own process group, so killGroup reaches what it started - a step with a background child', async () => {
    const { proc, output, ended } = run('sleep 30 & echo "$!"; wait')
    try {
      const child = Number(await until(() => output.stdout.trim(), 'the child pid'))
      expect(groupAndSession(proc.pid)?.group).toBe(proc.pid)
      expect(groupAndSession(child)?.group).toBe(proc.pid)
      proc.killGroup('SIGTERM')
      expect(await ended('the step to end on SIGTERM')).toEqual({ exitCode: null, signal: 'SIGTERM' })
      await until(() => !running(child), 'the background child to end')
    } finally {
      endGroup(proc)
    }
  })

  it('settles within a few seconds - a step that exits while a background child holds its output open', async () => {
    const started = Date.now()
    const { proc, ended } = run('sleep 30 & echo started')
    try {
      expect(await ended('the step to settle')).toEqual({ exitCode: 0, signal: null })
      expect(Date.now() - started).toBeLessThan(5000)
    } finally {
      endGroup(proc)
    }
  })

  it('settles with an error naming the command, and no exit code - a command that does not exist', async () => {
    const proc = make().spawn({ argv: ['/nonexistent/pipeline-cron-step'], cwd: tmpdir(), env: {} }, () => undefined)
    const result = await within(proc.exited, 10_000, 'the failed start to settle')
    expect(result.exitCode).toBeNull()
    expect(result.error).toMatch(/^could not start \/nonexistent\/pipeline-cron-step .*ENOENT/)
  })
}
