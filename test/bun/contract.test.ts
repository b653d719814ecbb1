/**
 * The port contract suites under `bun test`, against the Bun adapter's implementations
 * and the shared file ones running on Bun. Run with `npm run test:bun` (vitest skips test/bun).
 */
import { describe, expect, it } from 'bun:test'
import { createFileLogStore } from '../../adapters/node/log-store.js'
import { fileLog, fileRunHistory, fileStateStore, tearRunHistory } from '../contract/file-fixtures.js'
import { logStoreContract } from '../contract/log-store.contract.js'
import { runHistoryContract } from '../contract/run-history.contract.js'
import { stateStoreContract } from '../contract/state-store.contract.js'

describe('Bun LogStore + LogWriter, under Bun', () => {
  logStoreContract({ it, expect, make: fileLog((file) => createFileLogStore(file, 5, { pollMs: 20 })) })
})

describe('file RunHistory, under Bun', () => {
  runHistoryContract({ it, expect, make: fileRunHistory, tear: tearRunHistory })
})

describe('file StateStore, under Bun', () => {
  stateStoreContract({ it, expect, make: fileStateStore })
})
