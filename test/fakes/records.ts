/** Records as the daemon writes them, for tests that plant one: each with plain defaults and the fields a test names. */
import type { PipelineLive, PipelineStateFile } from '../../src/daemon/protocol.js'
import type { RunRecord } from '../../src/ports.js'

const AT = '2025-12-26T10:00:00.000Z'

/** A started pipeline as the daemon pushes it: every minute since AT, idle. */
export function pipelineLive(fields: Partial<PipelineLive> = {}): PipelineLive {
  return {
    instance_id: 'inst-a',
    started_at: AT,
    schedule: { type: 'interval', interval_seconds: 60 },
    anchor: AT,
    next_run_at: '2025-12-26T10:01:00.000Z',
    current_run: null,
    last_run: null,
    paused: false,
    stopping: null,
    ...fields,
  }
}

/** The state file a daemon (`daemon_instance`, pid `pid`) left for the default pipeline. */
export function leftState(pid: number, daemonInstance: string, instanceId: string, fields: Partial<PipelineStateFile> = {}): PipelineStateFile {
  return {
    ...pipelineLive({ instance_id: instanceId }),
    pid,
    daemon_instance: daemonInstance,
    runtime: 'memory',
    run_immediately: true,
    pipeline_file: '/srv/pipeline.json',
    ...fields,
  }
}

/** A run still marked `running`, as a daemon that died left it. */
export function runningRecord(id: string, instanceId: string, startedAt = AT): RunRecord {
  return { id, instance_id: instanceId, trigger: 'schedule', status: 'running', scheduled_at: null, started_at: startedAt, finished_at: null, duration_ms: null, steps: [] }
}
