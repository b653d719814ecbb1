import type { LogEvent } from './ports.js'

/**
 * Text one live-log subscriber may have waiting. A client that stopped reading while a step wrote
 * 40 MB/s made its queue grow to 4.3 GB in 100 s. 1 MiB is about 5,000 lines: a reader that
 * keeps up never meets it, and one that far behind is better served by the newest lines.
 */
export const MAX_QUEUED_BYTES = 1024 * 1024

/**
 * The events waiting for one subscriber of the live log. When queued lines would pass `maxBytes`
 * they are dropped and replaced by one `{ type: 'missed', lines }` (a clear among them is kept),
 * and the subscriber resumes from the newest lines. Sizes count characters, about a byte each.
 */
export function createFollowQueue(maxBytes = MAX_QUEUED_BYTES) {
  let items: LogEvent[] = []
  let bytes = 0
  let wake: (() => void) | null = null

  /** Replaces the queued lines with one `missed` event counting them (after the last clear). */
  function dropLines() {
    let missed = 0
    let cleared = false
    for (const item of items) {
      if (item.type === 'clear') {
        cleared = true
        missed = 0
      } else missed += item.type === 'missed' ? item.lines : item.lines.length
    }
    items = cleared ? [{ type: 'clear' }] : []
    if (missed > 0) items.push({ type: 'missed', lines: missed })
    bytes = 0
  }

  return {
    push(e: LogEvent) {
      // Two gaps in a row are one to the reader.
      const last = items[items.length - 1]
      if (e.type === 'missed' && last?.type === 'missed') return void (items[items.length - 1] = { type: 'missed', lines: last.lines + e.lines })
      if (e.type === 'lines') {
        const size = textSize(e.lines)
        // A batch on its own is always taken, so one larger than the bound still reaches a reader that keeps up.
        if (bytes > 0 && bytes + size > maxBytes) dropLines()
        bytes += size
      }
      items.push(e)
      wake?.()
    },

    /** Yields the queued events as they come, until `signal` aborts. */
    async *take(signal: AbortSignal): AsyncGenerator<LogEvent> {
      const onAbort = () => wake?.()
      signal.addEventListener('abort', onAbort, { once: true })
      try {
        while (!signal.aborted) {
          if (items.length === 0) await new Promise<void>((r) => (wake = r))
          wake = null
          const next = items.shift()
          if (!next || signal.aborted) continue
          if (next.type === 'lines') bytes -= textSize(next.lines)
          yield next
        }
      } finally {
        signal.removeEventListener('abort', onAbort)
      }
    },

    /** Events waiting (for tests). */
    get length() {
      return items.length
    },
    /** Characters of lines waiting (for tests). */
    get queuedBytes() {
      return bytes
    },
  }
}

function textSize(lines: string[]): number {
  let n = 0
  for (const l of lines) n += l.length + 1
  return n
}
