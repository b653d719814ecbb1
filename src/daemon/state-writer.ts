import type { JsonFile } from '../ports.js'
import type { PipelineStateFile } from './protocol.js'

export interface StateWriter {
  /** Queues `state` to be written after the writes before it: an older snapshot never lands last. */
  write(state: PipelineStateFile): Promise<void>
  /** Waits for the queued writes, then writes no more (the pipeline stopped). */
  close(): Promise<void>
}

/**
 * A pipeline's state.json, written one snapshot at a time. A failed write (a full disk) is said
 * once in the log and tried again every `retryMs` with the newest snapshot until one succeeds,
 * even if nothing changes meanwhile, so the file never stays behind the pushed state.
 */
export function createStateWriter(file: JsonFile<PipelineStateFile>, log: (text: string) => void, retryMs = 1000): StateWriter {
  let chain = Promise.resolve()
  let latest: PipelineStateFile | null = null
  let failing = false
  let retry: ReturnType<typeof setTimeout> | null = null
  let closed = false

  function write(state: PipelineStateFile): Promise<void> {
    latest = state
    chain = chain.then(() =>
      file.write(state).then(
        () => {
          if (failing) log('State file written again')
          failing = false
        },
        (err) => {
          if (!failing) log(`Warning: could not write state: ${(err as Error).message}`)
          failing = true
          retry ??= setTimeout(() => {
            retry = null
            if (failing && !closed && latest) void write(latest)
          }, retryMs)
        },
      ),
    )
    return chain
  }

  return {
    write,
    async close() {
      await chain
      closed = true
      if (retry) clearTimeout(retry)
    },
  }
}
