/** Seed-compatible log lines: `[YYYY-MM-DD HH:MM:SS] text`, in the daemon's local time. */

export function logTimestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

export function formatLine(text: string, d: Date): string {
  return `[${logTimestamp(d)}] ${text}\n`
}

/** Marks a step's stderr lines so readers (and the dashboard) can tell them apart. */
export const STDERR_MARK = '[stderr] '

export const RUN_STARTED = '========== Pipeline execution started =========='

export function runFinishedLine(status: string, okSteps: number, total: number, ms: number): string {
  return `========== Pipeline execution finished: ${status} (${okSteps}/${total} steps, ${formatSeconds(ms)}) ==========`
}

/** The line right after RUN_STARTED that ties the lines below it to one run record. */
export function runIdLine(id: string, trigger: string): string {
  return `Run ${id} (trigger: ${trigger})`
}

export const RUN_ID_LINE = /^Run (\S+) \(trigger: \w+\)$/

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`
}

/**
 * Splits a stream of text chunks into whole lines; a partial last line waits for the next chunk.
 */
export class LineSplitter {
  private rest = ''

  /** A line longer than `maxLine` characters is cut, so one endless line cannot fill memory. */
  constructor(private readonly maxLine = 1024 * 1024) {}

  /** Returns the whole lines completed by `chunk`, without their "\n". */
  push(chunk: string): string[] {
    const text = this.rest + chunk
    const lines = text.split('\n')
    this.rest = lines.pop() ?? ''
    while (this.rest.length > this.maxLine) {
      lines.push(this.rest.slice(0, this.maxLine))
      this.rest = this.rest.slice(this.maxLine)
    }
    return lines
  }

  /** The unterminated tail, if any, once the stream has ended. */
  flush(): string[] {
    const rest = this.rest
    this.rest = ''
    return rest.length > 0 ? [rest] : []
  }
}
