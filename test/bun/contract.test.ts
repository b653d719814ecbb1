/**
 * The port contract suites under `bun test`: the shared file and socket implementations, and
 * Bun's own ways to run a step and start the daemon, running on Bun. Run with `npm run test:bun` (vitest skips test/bun).
 */
import { describe, expect, it } from 'bun:test'
import { bunSpawnDetached } from '../../adapters/bun/launcher.js'
import { bunProcessRunner } from '../../adapters/bun/process-runner.js'
import { createFileLogStore } from '../../adapters/posix/log-store.js'
import { controlChannelContract } from '../contract/control-channel.contract.js'
import { fileControlSocket, fileJsonFile, fileLock, fileLog, fileRunHistory, probeLauncher, tearRunHistory } from '../contract/file-fixtures.js'
import { jsonFileContract } from '../contract/json-file.contract.js'
import { launcherContract } from '../contract/launcher.contract.js'
import { lockContract } from '../contract/lock.contract.js'
import { logStoreContract } from '../contract/log-store.contract.js'
import { processRunnerContract } from '../contract/process-runner.contract.js'
import { runHistoryContract } from '../contract/run-history.contract.js'

// The Bun server reads the log through the node:fs store too (adapters/bun/deps.ts).
describe('file LogStore + LogWriter, under Bun', () => {
  logStoreContract({ it, expect, make: fileLog((file) => createFileLogStore(file, 5, { pollMs: 20 })) })
})

describe('file RunHistory, under Bun', () => {
  runHistoryContract({ it, expect, make: fileRunHistory, tear: tearRunHistory })
})

describe('file JsonFile, under Bun', () => {
  jsonFileContract({ it, expect, make: fileJsonFile })
})

describe('lock file, under Bun', () => {
  lockContract({ it, expect, make: fileLock })
})

describe('Unix socket ControlChannel, under Bun', () => {
  controlChannelContract({ it, expect, make: fileControlSocket })
})

describe('Bun.spawn ProcessRunner, under Bun', () => {
  processRunnerContract({ it, expect, make: () => bunProcessRunner })
})

describe('DaemonLauncher with Bun.spawn, under Bun', () => {
  launcherContract({ it, expect, make: probeLauncher(bunSpawnDetached) })
})
