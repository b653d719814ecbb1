export { createDeps } from './deps.js'
export { serve } from './serve.js'
export { bunProcessRunner } from './process-runner.js'
export { bunSpawnDetached } from './launcher.js'
