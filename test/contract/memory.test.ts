/** The port contracts against the in-memory fakes (test/fakes), which other suites rely on. */
import { describe, expect, it } from 'vitest'
import { createMemoryLogFile, createMemoryLogStore, createMemoryLogWriter } from '../fakes/log-store.js'
import { createMemoryRunHistory } from '../fakes/run-history.js'
import { createMemoryStateBacking, createMemoryStateStore } from '../fakes/state-store.js'
import { logStoreContract } from './log-store.contract.js'
import { runHistoryContract } from './run-history.contract.js'
import { stateStoreContract } from './state-store.contract.js'

describe('memory LogStore + LogWriter', () => {
  logStoreContract({
    it,
    expect,
    async make(o) {
      const file = createMemoryLogFile()
      return {
        // Small chunks, so readers meet lines and characters split across chunks.
        store: createMemoryLogStore(file, 4093),
        writer: createMemoryLogWriter(file, { maxBytes: o?.rotateAtBytes, keep: 5 }),
        raw: async () => file.text,
        cleanup: async () => undefined,
      }
    },
  })
})

describe('memory RunHistory', () => {
  runHistoryContract({
    it,
    expect,
    async make() {
      const records = createMemoryRunHistory().records
      return { history: createMemoryRunHistory(records), reopen: () => createMemoryRunHistory(records), cleanup: async () => undefined }
    },
  })
})

describe('memory StateStore', () => {
  stateStoreContract({
    it,
    expect,
    async make() {
      const backing = createMemoryStateBacking()
      const dead = new Set<number>()
      const isAlive = (pid: number) => !dead.has(pid)
      let pid = 100
      const handle = () => createMemoryStateStore({ backing, pid: pid++, isAlive })
      return {
        store: handle(),
        other: handle,
        corrupt: async () => void (backing.raw = '{"pid": 42, "instance_'),
        async plantDeadLock() {
          dead.add(999_999)
          backing.lock = { holderPid: 999_999, token: Symbol('dead holder') }
        },
        cleanup: async () => undefined,
      }
    },
  })
})
