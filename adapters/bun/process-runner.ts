import type { ProcessRunner, SpawnedProcess } from '../../src/ports.js'

// After the step exits, its output gets this long to drain: a background child that kept the
// pipes open must not hold the run.
const DRAIN_MS = 1000

/** Runs each step with Bun.spawn as the leader of its own process group (detached: setsid). */
export const bunProcessRunner: ProcessRunner = {
  spawn(req, onOutput): SpawnedProcess {
    let child: Bun.Subprocess
    try {
      child = Bun.spawn({ cmd: req.argv, cwd: req.cwd, env: req.env, detached: true, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
    } catch (err) {
      const error = `could not start ${req.argv[0]} (${(err as { code?: string }).code ?? (err as Error).message})`
      return { pid: -1, exited: Promise.resolve({ exitCode: null, signal: null, error }), killGroup: () => undefined }
    }
    const pid = child.pid
    const pump = async (stream: AsyncIterable<Uint8Array>, name: 'stdout' | 'stderr') => {
      const decoder = new TextDecoder()
      try {
        for await (const chunk of stream) {
          const text = decoder.decode(chunk, { stream: true })
          if (text) onOutput(text, name)
        }
      } catch {
        // The stream was torn down after the drain deadline.
      }
      const rest = decoder.decode()
      if (rest) onOutput(rest, name)
    }
    const drained = Promise.all([pump(child.stdout, 'stdout'), pump(child.stderr, 'stderr')])

    const exited = child.exited.then(async (code) => {
      // Background children of a finished step would outlive it: end its group.
      killGroup(pid, 'SIGTERM')
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([drained, new Promise((r) => (timer = setTimeout(r, DRAIN_MS)))])
      clearTimeout(timer)
      const signal = child.signalCode
      return { exitCode: signal ? null : code, signal }
    })
    return { pid, exited, killGroup: (signal) => killGroup(pid, signal) }
  },
}

function killGroup(pid: number, signal: string) {
  if (!(pid > 1)) return
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is already gone.
  }
}
