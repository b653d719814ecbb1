import type { DaemonStatus, RunRecord } from './ports.js'

/** One pipeline's state and its retained runs (newest first), as the metrics read them. */
export interface PipelineMetrics {
  name: string
  status: DaemonStatus
  runs: RunRecord[]
}

/** How the daemon itself fares (local mode): restarts after crashes, and whether it was given up on. */
export interface DaemonMetrics {
  restarts: number
  crashLoop: boolean
}

const FINAL = ['success', 'failed', 'timed_out', 'cancelled', 'abandoned', 'skipped', 'missed'] as const

/**
 * The Prometheus text exposition (format 0.0.4) of every pipeline, each series labelled with
 * `pipeline`. Kept small and dependency-free: prom-client and friends are Node-only, the core is not.
 */
export function renderMetrics(pipelines: PipelineMetrics[], daemon?: DaemonMetrics): string {
  const out: string[] = []
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: [Record<string, string>, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [labels, value] of samples) out.push(`${name}${renderLabels(labels)} ${formatValue(value)}`)
  }
  const each = (sample: (p: Facts) => [Record<string, string>, number][]) => facts.flatMap((p) => sample(p).map(([labels, v]) => [{ pipeline: p.name, ...labels }, v] as [Record<string, string>, number]))
  const facts = pipelines.map(factsOf)

  metric('pipeline_cron_daemon_up', 'gauge', 'Whether the pipeline is running in a daemon (1) or not (0).', each((p) => [[{}, p.status.is_running ? 1 : 0]]))
  metric('pipeline_cron_paused', 'gauge', 'Whether the pipeline is paused (1) or not (0).', each((p) => [[{}, p.status.paused ? 1 : 0]]))
  metric('pipeline_cron_runs_total', 'counter', 'Runs in the retained run history, by final status.', each((p) => [...p.byStatus].map(([s, n]) => [{ status: s }, n])))
  metric('pipeline_cron_skipped_ticks_total', 'counter', 'Scheduled ticks skipped (a run still going, or paused) in the retained history.', each((p) => [[{}, p.byStatus.get('skipped') ?? 0]]))
  metric('pipeline_cron_run_in_progress', 'gauge', 'Whether a run is in progress.', each((p) => [[{}, p.status.current_run ? 1 : 0]]))
  metric('pipeline_cron_last_run_duration_seconds', 'gauge', 'Duration of the last finished run.', each((p) => (p.last?.duration_ms != null ? [[{ status: p.last.status }, p.last.duration_ms / 1000]] : [])))
  metric('pipeline_cron_last_run_timestamp_seconds', 'gauge', 'When the last finished run ended (Unix time).', each((p) => (p.last?.finished_at ? [[{ status: p.last.status }, Date.parse(p.last.finished_at) / 1000]] : [])))
  metric('pipeline_cron_last_success_timestamp_seconds', 'gauge', 'When the last successful run ended (Unix time).', each((p) => (p.lastSuccess?.finished_at ? [[{}, Date.parse(p.lastSuccess.finished_at) / 1000]] : [])))
  metric('pipeline_cron_next_run_timestamp_seconds', 'gauge', 'When the next scheduled run is due (Unix time).', each((p) => (p.status.next_run_at ? [[{}, Date.parse(p.status.next_run_at) / 1000]] : [])))
  if (daemon) {
    metric('pipeline_cron_daemon_restarts_total', 'counter', 'Times this server restarted a daemon that died.', [[{}, daemon.restarts]])
    metric('pipeline_cron_daemon_crash_loop', 'gauge', 'Whether the daemon kept dying and is no longer restarted (1) or not (0).', [[{}, daemon.crashLoop ? 1 : 0]])
  }
  return out.join('\n') + '\n'
}

interface Facts extends PipelineMetrics {
  byStatus: Map<string, number>
  last: RunRecord | undefined
  lastSuccess: RunRecord | undefined
}

function factsOf(p: PipelineMetrics): Facts {
  const byStatus = new Map<string, number>(FINAL.map((s) => [s, 0]))
  for (const run of p.runs) if (run.status !== 'running') byStatus.set(run.status, (byStatus.get(run.status) ?? 0) + 1)
  const finished = p.runs.filter((r) => r.status !== 'running' && r.status !== 'skipped' && r.status !== 'missed')
  return { ...p, byStatus, last: finished[0], lastSuccess: finished.find((r) => r.status === 'success') }
}

function renderLabels(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
  return parts.length ? `{${parts.join(',')}}` : ''
}

function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf'
  return String(n)
}
