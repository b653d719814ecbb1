/** The port contracts against the Node file implementations (adapters/node) on temp dirs. */
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createFileLogStore } from '../../adapters/node/log-store.js'
import { createFileLogWriter } from '../../adapters/node/log-writer.js'
import { createFileRunHistory } from '../../adapters/node/run-history.js'
import { createFileStateStore } from '../../adapters/node/state-store.js'
import { logStoreContract } from './log-store.contract.js'
import { runHistoryContract } from './run-history.contract.js'
import { stateStoreContract } from './state-store.contract.js'

const tempDir = () => mkdtempSync(join(tmpdir(), 'pc-contract-'))
const removeDir = (dir: string) => rm(dir, { recursive: true, force: true })

describe('file LogStore + LogWriter', () => {
  logStoreContract({
    it,
    expect,
    async make(o) {
      const dir = tempDir()
      const logFile = join(dir, 'pipeline.log')
      return {
        store: createFileLogStore(logFile, 5, { pollMs: 20 }),
        writer: createFileLogWriter(logFile, o?.rotateAtBytes ?? 50 * 1024 * 1024, 5),
        raw: () => readFile(logFile, 'utf8').catch(() => ''),
        cleanup: () => removeDir(dir),
      }
    },
  })
})

describe('file RunHistory', () => {
  runHistoryContract({
    it,
    expect,
    async make() {
      const dir = tempDir()
      return { history: createFileRunHistory(dir), reopen: () => createFileRunHistory(dir), cleanup: () => removeDir(dir), dir }
    },
    // A crash mid-append leaves a record without its newline.
    tear: (f, partial) => appendFile(join(f.dir, 'runs.jsonl'), partial),
  })
})

describe('file StateStore', () => {
  stateStoreContract({
    it,
    expect,
    async make() {
      const dir = tempDir()
      return {
        store: createFileStateStore(dir),
        other: () => createFileStateStore(dir),
        corrupt: () => writeFile(join(dir, 'state.json'), '{"pid": 42, "instance_'),
        async plantDeadLock() {
          // The pid of a process that has exited: the holder that crashed.
          const gone = spawnSync(process.execPath, ['-e', '']).pid
          await writeFile(join(dir, 'lock'), JSON.stringify({ pid: gone, token: 'crashed', at: new Date().toISOString() }))
        },
        cleanup: () => removeDir(dir),
      }
    },
  })
})
