/** Log lines as the original design wrote them: `[YYYY-MM-DD HH:MM:SS] text`, in the daemon's local time. */

export function logTimestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/** One daemon line. A line break inside `text` (an error message) would start a second, forgeable line. */
export function formatLine(text: string, d: Date): string {
  return `[${logTimestamp(d)}] ${text.replace(/[\r\n]+/g, ' ')}\n`
}

/**
 * Every line a step prints gets one of these marks after the timestamp, put there by the daemon.
 * The daemon's own lines never start with one, so a step cannot print a line that reads as the
 * daemon's (a fake "finished" or "Audit:" line ends up as `[ts] [stdout] [ts] ==========...`).
 */
export const STDOUT_MARK = '[stdout] '
export const STDERR_MARK = '[stderr] '

const TIMESTAMP = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] /

/**
 * The text of a line the daemon wrote itself (after its timestamp), or null for a step's output
 * line and for anything without a timestamp (a torn fragment).
 */
export function daemonText(line: string): string | null {
  const m = TIMESTAMP.exec(line)
  if (!m) return null
  const text = line.slice(m[0].length)
  return text.startsWith(STDOUT_MARK) || text.startsWith(STDERR_MARK) ? null : text
}

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
