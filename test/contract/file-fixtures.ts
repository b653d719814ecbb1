/**
 * Factories for the file-backed implementations under contract, shared by the vitest run
 * (node.test.ts) and the `bun test` run (test/bun/contract.test.ts). node:fs only: both runtimes.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { appendFile, readFile, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LogStore } from '../../src/ports.js'
import { createFileLogWriter } from '../../adapters/posix/log-writer.js'
import { createFileRunHistory } from '../../adapters/posix/run-history.js'
import { createControlSocket } from '../../adapters/posix/control-socket.js'
import { createJsonFile } from '../../adapters/posix/json-file.js'
import { createDaemonLauncher, type SpawnDetached } from '../../adapters/posix/launcher.js'
import { createLockFile } from '../../adapters/posix/lock-file.js'
import { daemonClaimSchema } from '../../src/daemon/protocol.js'
import type { ChannelFixture } from './control-channel.contract.js'
import type { JsonFileFixture } from './json-file.contract.js'
import type { LockFixture } from './lock.contract.js'
import type { LogFixture } from './log-store.contract.js'

/** A launcher of this runtime (its `spawnDetached`) whose daemon is test/fixtures/daemon-probe.mjs. */
export const probeLauncher = (spawnDetached: SpawnDetached) => () =>
  createDaemonLauncher({ execPath: process.execPath, daemonScript: join(import.meta.dirname, '..', 'fixtures', 'daemon-probe.mjs'), spawnDetached })

const tempDir = () => mkdtempSync(join(tmpdir(), 'pc-contract-'))
const removeDir = (dir: string) => rm(dir, { recursive: true, force: true })

/** A temp log read through `makeStore` (the runtime's LogStore) and written by the daemon's writer. */
export function fileLog(makeStore: (logFile: string) => LogStore) {
  return async (o?: { rotateAtBytes?: number }): Promise<LogFixture> => {
    const dir = tempDir()
    const logFile = join(dir, 'pipeline.log')
    return {
      store: makeStore(logFile),
      writer: createFileLogWriter(logFile, o?.rotateAtBytes ?? 50 * 1024 * 1024, 5),
      raw: () => readFile(logFile, 'utf8').catch(() => ''),
      cleanup: () => removeDir(dir),
    }
  }
}

export async function fileRunHistory() {
  const dir = tempDir()
  return { history: createFileRunHistory(dir), reopen: () => createFileRunHistory(dir), cleanup: () => removeDir(dir), dir }
}

/** A crash mid-append leaves a record without its newline. */
export function tearRunHistory(f: { dir?: string }, partial: string) {
  return appendFile(join(f.dir!, 'runs.jsonl'), partial)
}

export async function fileJsonFile(): Promise<JsonFileFixture> {
  const dir = tempDir()
  const path = join(dir, 'daemon.json')
  return {
    file: createJsonFile(path, daemonClaimSchema),
    path,
    other: () => createJsonFile(path, daemonClaimSchema),
    plant: (text) => writeFile(path, text),
    raw: (at) => readFile(at, 'utf8').catch(() => null),
    cleanup: () => removeDir(dir),
  }
}

export async function fileLock(): Promise<LockFixture> {
  const dir = tempDir()
  const path = join(dir, 'lock')
  return {
    lock: createLockFile(path, dir),
    other: () => createLockFile(path, dir),
    async plantDeadLock() {
      // The pid of a process that has exited: the holder that crashed.
      const gone = spawnSync('true').pid
      await writeFile(path, JSON.stringify({ pid: gone, token: 'crashed', at: new Date().toISOString() }))
    },
    cleanup: () => removeDir(dir),
  }
}

export async function fileControlSocket(): Promise<ChannelFixture> {
  const dir = tempDir()
  const path = join(dir, 'daemon.sock')
  return {
    channel: createControlSocket(path),
    other: () => createControlSocket(path),
    unlink: () => unlink(path),
    cleanup: () => removeDir(dir),
  }
}
