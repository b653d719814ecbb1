/** The Bun daemon entry, spawned detached by the Bun server. */
import { daemonEntry } from '../posix/daemon-process.js'
import { bunProcessRunner } from './process-runner.js'

daemonEntry(bunProcessRunner)
