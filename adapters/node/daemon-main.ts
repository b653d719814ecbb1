/** The Node daemon entry (dist/daemon.js), spawned detached by an API server. */
import { daemonEntry } from '../posix/daemon-process.js'
import { childProcessRunner } from './process-runner.js'

daemonEntry(childProcessRunner)
