import { join } from 'node:path'

/** The files of a state dir, named once. */
export const daemonClaimPath = (stateDir: string) => join(stateDir, 'daemon.json')
export const controlSocketPath = (stateDir: string) => join(stateDir, 'daemon.sock')
export const daemonStderrPath = (stateDir: string) => join(stateDir, 'daemon.stderr')
export const lockPath = (stateDir: string) => join(stateDir, 'lock')
export const pipelinesDir = (stateDir: string) => join(stateDir, 'pipelines')
/** In a pipeline's folder (the state dir itself for `default`). */
export const statePath = (homeDir: string) => join(homeDir, 'state.json')
export const desiredPath = (homeDir: string) => join(homeDir, 'desired.json')
export const runsDir = (homeDir: string) => homeDir
