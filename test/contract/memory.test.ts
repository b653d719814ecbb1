/** The port contracts against the in-memory fakes (test/fakes), which other suites rely on. */
import { describe, expect, it } from 'vitest'
import { daemonClaimSchema } from '../../src/daemon/protocol.js'
import { createMemoryChannel } from '../fakes/control-channel.js'
import { createMemoryDisk } from '../fakes/json-file.js'
import { createMemoryLock, createMemoryLockBacking } from '../fakes/lock.js'
import { createMemoryLogFile, createMemoryLogStore, createMemoryLogWriter } from '../fakes/log-store.js'
import { createMemoryRunHistory } from '../fakes/run-history.js'
import { controlChannelContract } from './control-channel.contract.js'
import { jsonFileContract } from './json-file.contract.js'
import { lockContract } from './lock.contract.js'
import { logStoreContract } from './log-store.contract.js'
import { runHistoryContract } from './run-history.contract.js'

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

describe('memory JsonFile', () => {
  jsonFileContract({
    it,
    expect,
    async make() {
      const disk = createMemoryDisk()
      const path = '/state/daemon.json'
      return {
        file: disk.jsonFile(path, daemonClaimSchema),
        path,
        other: () => disk.jsonFile(path, daemonClaimSchema),
        plant: async (text) => disk.corrupt(path, text),
        raw: async (at) => disk.files.get(at) ?? null,
        cleanup: async () => undefined,
      }
    },
  })
})

describe('memory Lock', () => {
  lockContract({
    it,
    expect,
    async make() {
      const backing = createMemoryLockBacking()
      const dead = new Set<number>()
      const isAlive = (pid: number) => !dead.has(pid)
      let pid = 100
      const handle = () => createMemoryLock({ backing, pid: pid++, isAlive })
      return {
        lock: handle(),
        other: handle,
        async plantDeadLock() {
          dead.add(999_999)
          backing.holder = { pid: 999_999, token: Symbol('dead holder') }
        },
        cleanup: async () => undefined,
      }
    },
  })
})

describe('memory ControlChannel', () => {
  controlChannelContract({
    it,
    expect,
    async make() {
      const channel = createMemoryChannel()
      return { channel, other: () => channel, unlink: async () => channel.unlink(), cleanup: async () => undefined }
    },
  })
})
