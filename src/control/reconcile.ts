import type { JsonFile, ProcessControl, RunHistory } from '../ports.js'
import type { PipelineStateFile } from '../daemon/protocol.js'
import { sweepTagged } from '../daemon/sweep.js'

export interface PipelineLeftovers {
  state: JsonFile<PipelineStateFile>
  runs: RunHistory
  procs: ProcessControl
  now?: () => Date
}

/**
 * Ends what a daemon that is gone left of one pipeline: its steps that run on as orphans (found by
 * the pipeline's marker, which only its own tree carries), the run it left `running` (now
 * `abandoned`, with `why`), and its state file. A state naming a live daemon of ours is left alone;
 * a pid is never signalled because a state file names it. Returns whether a live daemon holds it.
 */
export async function reconcilePipeline(o: PipelineLeftovers, why: string): Promise<'live' | 'cleaned'> {
  const read = await o.state.read()
  if ('corrupt' in read) await o.state.quarantine()
  const state = read.value
  if (state) {
    if ((await o.procs.identify(state.pid, state.daemon_instance)) === 'ours') return 'live'
    await sweepTagged(o.procs, state.instance_id)
    await o.state.remove()
  }
  await abandonRunning(o, why)
  return 'cleaned'
}

/** Every run still recorded `running` becomes `abandoned`: no daemon is left to finish it. */
export async function abandonRunning(o: Pick<PipelineLeftovers, 'runs' | 'now'>, why: string) {
  const now = o.now ?? (() => new Date())
  for (const run of await o.runs.list(20)) {
    if (run.status !== 'running') continue
    const finished = now()
    await o.runs.append({ ...run, status: 'abandoned', reason: why, finished_at: finished.toISOString(), duration_ms: finished.getTime() - Date.parse(run.started_at) })
  }
}
