/**
 * The pipeline on screen. Opening another one makes a new object, so an answer that arrives for
 * the previous one (a slow status, a run's log) is recognised and dropped.
 */
import { pipelineBase } from './fragment.js'

export interface OpenPipeline {
  name: string
  /** Where its routes live: `./api/pipelines/{name}`. */
  base: string
}

let current: OpenPipeline | null = null

export function openPipeline(name: string): OpenPipeline {
  current = { name, base: pipelineBase(name) }
  return current
}

export function closePipeline(): void {
  current = null
}

export function currentPipeline(): OpenPipeline | null {
  return current
}

/** False once the reader has moved on to another pipeline (or the list). */
export function isCurrent(p: OpenPipeline): boolean {
  return current === p
}
