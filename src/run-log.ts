import { daemonText, LineSplitter, RUN_ID_LINE, RUN_STARTED } from './log-line.js'

const FINISHED = '========== Pipeline execution finished:'
/** Lines other writers put in the log while a run goes (API audit, scheduler notes): not the run's. */
const NOT_THE_RUNS = ['Audit: ', 'Skipping scheduled run: ', 'Manual run ignored: ']

/**
 * The lines of one run, from its "started" line to its "finished" line, picked out of the
 * log's text chunks (oldest first). Returns null when the run is not in them. Only the daemon's
 * own lines start, end or leave out anything: a step's output lines (marked) are always the run's.
 */
export async function extractRunLines(chunks: AsyncIterable<string>, runId: string): Promise<string[] | null> {
  let found: string[] | null = null
  for await (const batch of runLines(chunks, runId)) (found ??= []).push(...batch)
  return found
}

/**
 * The lines of one run as `extractRunLines` finds them, in batches as the chunks are read, so a
 * run with 50 MB of output never sits in memory whole. Yields nothing when the run is not there;
 * otherwise the first batch holds at least its "Run <id>" line.
 */
export async function* runLines(chunks: AsyncIterable<string>, runId: string): AsyncGenerator<string[]> {
  const splitter = new LineSplitter()
  let previous: string | null = null
  let found = false
  let done = false
  let batch: string[] = []
  const take = (line: string) => {
    if (done) return
    const text = daemonText(line)
    if (found) {
      if (text !== null && NOT_THE_RUNS.some((p) => text.startsWith(p))) return
      // A clear or a later run's start also ends it (the daemon died mid-run).
      if (text === RUN_STARTED) done = true
      else {
        batch.push(line)
        if (text?.startsWith(FINISHED)) done = true
      }
      return
    }
    const m = text === null ? null : RUN_ID_LINE.exec(text)
    if (m && m[1] === runId) {
      found = true
      batch = previous !== null && daemonText(previous) === RUN_STARTED ? [previous, line] : [line]
    }
    previous = line
  }
  for await (const chunk of chunks) {
    for (const line of splitter.push(chunk)) take(line)
    if (batch.length) yield batch
    batch = []
    if (done) return
  }
  for (const line of splitter.flush()) take(line)
  if (batch.length) yield batch
}
