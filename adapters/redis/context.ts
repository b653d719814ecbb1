/** What a worker knows of one pipeline while it handles its jobs. */
import type { Redis } from 'ioredis'
import type { Pipeline } from '../../src/pipeline.js'
import type { LogWriter } from '../../src/ports.js'
import type { HeldRun } from './control.js'
import type { PipelineKeys } from './keys.js'

export interface PipelineContext {
  name: string
  keys: PipelineKeys
  redis: Redis
  log: LogWriter
  /** Reads and validates the pipeline file (throws a ConfigError). */
  load: () => Promise<Pipeline>
  file: string
  runsKeep: number
  graceMs: number
  worker: { host: string; pid: number }
  held: Map<string, HeldRun>
  /** Whether a worker (`host:pid`) still beats. */
  isAlive: (worker: { host: string; pid: number }) => Promise<boolean>
}

export interface JobData {
  instance: string
  /** Manual runs: the id the API answered with. */
  run_id?: string
}

