/** The port contracts against the file, socket and process implementations (adapters/node, adapters/posix) on temp dirs. */
import { describe, expect, it } from 'vitest'
import { spawnDetached } from '../../adapters/node/launcher.js'
import { childProcessRunner } from '../../adapters/node/process-runner.js'
import { createFileLogStore } from '../../adapters/posix/log-store.js'
import { controlChannelContract } from './control-channel.contract.js'
import { fileControlSocket, fileJsonFile, fileLock, fileLog, fileRunHistory, probeLauncher, tearRunHistory } from './file-fixtures.js'
import { jsonFileContract } from './json-file.contract.js'
import { launcherContract } from './launcher.contract.js'
import { lockContract } from './lock.contract.js'
import { logStoreContract } from './log-store.contract.js'
import { processRunnerContract } from './process-runner.contract.js'
import { runHistoryContract } from './run-history.contract.js'

describe('file LogStore + LogWriter', () => {
  logStoreContract({ it, expect, make: fileLog((file) => createFileLogStore(file, 5, { pollMs: 20 })) })
})

describe('file RunHistory', () => {
  runHistoryContract({ it, expect, make: fileRunHistory, tear: tearRunHistory })
})

describe('file JsonFile', () => {
  jsonFileContract({ it, expect, make: fileJsonFile })
})

describe('lock file', () => {
  lockContract({ it, expect, make: fileLock })
})

describe('Unix socket ControlChannel', () => {
  controlChannelContract({ it, expect, make: fileControlSocket })
})

describe('child_process ProcessRunner', () => {
  processRunnerContract({ it, expect, make: () => childProcessRunner })
})

describe('DaemonLauncher with node\'s spawnDetached', () => {
  launcherContract({ it, expect, make: probeLauncher(spawnDetached) })
})
