/** The port contracts against the Node file implementations (adapters/node) on temp dirs. */
import { describe, expect, it } from 'vitest'
import { createFileLogStore } from '../../adapters/node/log-store.js'
import { fileLog, fileRunHistory, fileStateStore, tearRunHistory } from './file-fixtures.js'
import { logStoreContract } from './log-store.contract.js'
import { runHistoryContract } from './run-history.contract.js'
import { stateStoreContract } from './state-store.contract.js'

describe('file LogStore + LogWriter', () => {
  logStoreContract({ it, expect, make: fileLog((file) => createFileLogStore(file, 5, { pollMs: 20 })) })
})

describe('file RunHistory', () => {
  runHistoryContract({ it, expect, make: fileRunHistory, tear: tearRunHistory })
})

describe('file StateStore', () => {
  stateStoreContract({ it, expect, make: fileStateStore })
})
