import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { daemonArgv } from '../../src/daemon/argv.js'
import type { DaemonSettings } from '../../src/daemon/protocol.js'
import { INSTANCE_ENV, type DaemonLauncher } from '../../src/ports.js'
import { until, within, type ContractHarness } from './harness.js'
import { groupAndSession } from './process-runner.contract.js'

export interface LauncherContract extends ContractHarness {
  /** A launcher whose daemon script is test/fixtures/daemon-probe.mjs (see probeLauncher). */
  make(): DaemonLauncher
}

const settings = (stateDir: string, instance: string): DaemonSettings => ({
  instance_id: instance,
  runtime: 'contract',
  state_dir: stateDir,
  log_max_bytes: 1024,
  log_keep: 1,
  grace_ms: 100,
  runs_keep: 10,
  drain_timeout_ms: 1000,
})

/** What the probe wrote about itself, once it has. */
const probeOf = (stateDir: string) =>
  until(() => {
    try {
      return JSON.parse(readFileSync(join(stateDir, 'probe.json'), 'utf8')) as { pid: number; argv: string[]; marker: string | null }
    } catch {
      return null
    }
  }, 'the probe to write probe.json', 10_000)

/**
 * The DaemonLauncher contract: what the keeper and the controllers rely on from each runtime's
 * way of starting the daemon (adapters/posix/launcher.ts with node's or bun's spawnDetached).
 */
export function launcherContract({ it, expect, make }: LauncherContract) {
  const withStateDir = async (fn: (stateDir: string, launched: number[]) => Promise<void>) => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-launcher-'))
    const launched: number[] = []
    try {
      await fn(join(dir, 'state'), launched)
    } finally {
      // Only the probes this test launched, by their pids.
      for (const pid of launched) if (groupAndSession(pid)) process.kill(pid, 'SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  }

  it('starts the daemon in a session and group of its own, with its settings on the command line - a daemon that keeps running', () =>
    withStateDir(async (stateDir, launched) => {
      const given = settings(stateDir, 'keeps-running')
      const daemon = await make().launch(given)
      launched.push(daemon.pid)
      const probe = await probeOf(stateDir)
      expect(probe.pid).toBe(daemon.pid)
      expect(probe.argv).toEqual(daemonArgv(given))
      expect(groupAndSession(daemon.pid)).toEqual({ group: daemon.pid, session: daemon.pid })
    }))

  it('settles exited with the exit code and what the daemon wrote to stderr - a daemon that cannot start', () =>
    withStateDir(async (stateDir, launched) => {
      const daemon = await make().launch(settings(stateDir, 'exit-3'))
      launched.push(daemon.pid)
      expect(await within(daemon.exited, 10_000, 'the daemon to exit')).toEqual({ code: 3, stderr: 'probe: cannot start (exit 3)\n' })
      expect(readFileSync(join(stateDir, 'daemon.stderr'), 'utf8')).toBe('probe: cannot start (exit 3)\n')
    }))

  it('gives the daemon no pipeline marker - the server itself runs with one', () =>
    withStateDir(async (stateDir, launched) => {
      const outer = process.env[INSTANCE_ENV]
      process.env[INSTANCE_ENV] = 'outer-instance'
      try {
        launched.push((await make().launch(settings(stateDir, 'no-marker'))).pid)
      } finally {
        if (outer === undefined) delete process.env[INSTANCE_ENV]
        else process.env[INSTANCE_ENV] = outer
      }
      expect((await probeOf(stateDir)).marker).toBeNull()
    }))

  it('refuses to start and leaves the target untouched - STATE_DIR/daemon.stderr is a symlink', () =>
    withStateDir(async (stateDir) => {
      const target = join(stateDir, '..', 'precious.txt')
      writeFileSync(target, 'precious\n')
      mkdirSync(stateDir)
      symlinkSync(target, join(stateDir, 'daemon.stderr'))
      let refused: unknown = null
      await make()
        .launch(settings(stateDir, 'exit-1'))
        .catch((err: unknown) => (refused = err))
      expect(refused).toBeInstanceOf(Error)
      expect(readFileSync(target, 'utf8')).toBe('precious\n')
    }))
}
