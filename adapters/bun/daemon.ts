/** The Bun daemon entry, spawned detached by the Bun server's start. */
import { daemonEntry } from '../node/daemon-process.js'
import { bunProcessRunner } from './process-runner.js'

daemonEntry('bun', bunProcessRunner)
