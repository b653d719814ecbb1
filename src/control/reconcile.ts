import type { JsonFile, ProcessControl, RunHistory, RunRecord } from '../ports.js'
import type { PipelineStateFile } from '../daemon/protocol.js'
import { sweepTree } from '../daemon/sweep.js'

export interface PipelineLeftovers {
  state: JsonFile<PipelineStateFile>
  runs: RunHistory
  procs: ProcessControl
  /** Appends a line to the pipeline's log (webhooks the dead daemon was still sending). */
  note?: (text: string) => void
  now?: () => Date
}

export type Reconciled = { live: true } | { live: false; abandoned: RunRecord[] }

/**
 * Ends what a daemon that is gone left of one pipeline: its steps that run on as orphans (found by
 * the pipeline's marker, which only its own tree carries), the run it left `running` (now
 * `abandoned`, with `why`), and its state file. A state naming a live daemon of ours is left alone;
 * a pid is never signalled because a state file names it. Returns whether a live daemon holds it.
 */
export async function reconcilePipeline(leftovers: PipelineLeftovers, why: string): Promise<Reconciled> {
  const read = await leftovers.state.read()
  if ('corrupt' in read) await leftovers.state.quarantine()
  const state = read.value
  if (state) {
    if ((await leftovers.procs.identify(state.pid, state.daemon_instance)) === 'ours') return { live: true }
    await sweepTree(leftovers.procs, state.instance_id)
    for (const lost of state.pending_webhooks ?? []) leftovers.note?.(`Webhook ${lost.event} for run ${lost.run_id} → ${lost.to}: lost (${why.replace(/ during the run$/, '')})`)
    await leftovers.state.remove()
  }
  return { live: false, abandoned: await abandonRunning(leftovers, why) }
}

/** Every run still recorded `running` becomes `abandoned`: no daemon is left to finish it. */
export async function abandonRunning(leftovers: Pick<PipelineLeftovers, 'runs' | 'now'>, why: string): Promise<RunRecord[]> {
  const now = leftovers.now ?? (() => new Date())
  const abandoned: RunRecord[] = []
  for (const run of await leftovers.runs.list(20)) {
    if (run.status !== 'running') continue
    const finished = now()
    const record: RunRecord = { ...run, status: 'abandoned', reason: why, finished_at: finished.toISOString(), duration_ms: finished.getTime() - Date.parse(run.started_at) }
    await leftovers.runs.append(record)
    abandoned.push(record)
  }
  return abandoned
}
