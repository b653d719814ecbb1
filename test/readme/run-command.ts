import { spawn } from 'node:child_process'

export interface Ran {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * Runs `script` with /bin/sh, killed (by pid) after `timeoutMs`; `interrupt` ends it as Ctrl-C
 * would (SIGINT) once it printed something and `interruptAfterMs` passed.
 */
export function sh(script: string, o: { cwd: string; env?: Record<string, string>; timeoutMs?: number; interruptAfterMs?: number }): Promise<Ran> {
  const child = spawn('/bin/sh', ['-c', script], { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const kill = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 30_000)
  let interrupt: NodeJS.Timeout | undefined
  if (o.interruptAfterMs !== undefined) {
    const poll = () => {
      if (stdout) child.kill('SIGINT')
      else interrupt = setTimeout(poll, 50)
    }
    interrupt = setTimeout(poll, o.interruptAfterMs)
  }
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(kill)
      clearTimeout(interrupt)
      resolve({ code, signal, stdout, stderr })
    }),
  )
}
