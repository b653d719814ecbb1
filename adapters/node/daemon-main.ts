/** The Node daemon entry (dist/daemon.js), spawned detached by the API's start. */
import { daemonEntry } from './daemon-process.js'
import { childProcessRunner } from './process-runner.js'

daemonEntry('node', childProcessRunner)
