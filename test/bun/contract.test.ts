/**
 * The port contract suites under `bun test`, against the Bun implementations (Bun.file reads,
 * Bun.spawn steps) and the in-memory ones. Run with `npm run test:bun` (not picked up by vitest).
 */
import { describe, expect, it } from 'bun:test'
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBunLogStore } from '../../adapters/bun/log-store.js'
import { createFileLogWriter } from '../../adapters/node/log-writer.js'
import { createFileRunHistory } from '../../adapters/node/run-history.js'
import { createFileStateStore } from '../../adapters/node/state-store.js'
import { logStoreContract } from '../contract/log-store.contract.js'
import { runHistoryContract } from '../contract/run-history.contract.js'
import { stateStoreContract } from '../contract/state-store.contract.js'

const tempDir = () => mkdtempSync(join(tmpdir(), 'pc-bun-contract-'))
const removeDir = (dir: string) => rm(dir, { recursive: true, force: true })

describe('Bun LogStore (Bun.file) + LogWriter, under Bun', () => {
  logStoreContract({
    it,
    expect,
    async make(o) {
      const dir = tempDir()
      const logFile = join(dir, 'pipeline.log')
      return {
        store: createBunLogStore(logFile, 5, { pollMs: 20 }),
        writer: createFileLogWriter(logFile, o?.rotateAtBytes ?? 50 * 1024 * 1024, 5),
        raw: () => readFile(logFile, 'utf8').catch(() => ''),
        cleanup: () => removeDir(dir),
      }
    },
  })
})

describe('file RunHistory, under Bun', () => {
  runHistoryContract({
    it,
    expect,
    async make() {
      const dir = tempDir()
      return { history: createFileRunHistory(dir), reopen: () => createFileRunHistory(dir), cleanup: () => removeDir(dir), dir }
    },
    tear: (f, partial) => appendFile(join((f as typeof f & { dir: string }).dir, 'runs.jsonl'), partial),
  })
})

describe('file StateStore, under Bun', () => {
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
          const gone = spawnSync('true').pid
          await writeFile(join(dir, 'lock'), JSON.stringify({ pid: gone, token: 'crashed', at: new Date().toISOString() }))
        },
        cleanup: () => removeDir(dir),
      }
    },
  })
})
