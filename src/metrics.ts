import type { DaemonStatus, RunRecord } from './ports.js'

/**
 * The Prometheus text exposition (format 0.0.4) of the daemon and its recent runs.
 * Kept small and dependency-free: prom-client and friends are Node-only, the core is not.
 */
export function renderMetrics(status: DaemonStatus, runs: RunRecord[]): string {
  const out: string[] = []
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: [Record<string, string>, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [labels, value] of samples) out.push(`${name}${renderLabels(labels)} ${formatValue(value)}`)
  }

  const byStatus = new Map<string, number>()
  for (const s of ['success', 'failed', 'timed_out', 'cancelled', 'abandoned', 'skipped']) byStatus.set(s, 0)
  for (const run of runs) if (run.status !== 'running') byStatus.set(run.status, (byStatus.get(run.status) ?? 0) + 1)
  const finished = runs.filter((r) => r.status !== 'running' && r.status !== 'skipped')
  const last = finished[0]
  const lastSuccess = finished.find((r) => r.status === 'success')

  metric('pipeline_cron_daemon_up', 'gauge', 'Whether the pipeline daemon is running (1) or not (0).', [[{}, status.is_running ? 1 : 0]])
  metric('pipeline_cron_runs_total', 'counter', 'Runs in the retained run history, by final status.', [...byStatus].map(([s, n]) => [{ status: s }, n]))
  metric('pipeline_cron_skipped_ticks_total', 'counter', 'Scheduled ticks skipped because a run was still going (retained history).', [
    [{}, byStatus.get('skipped') ?? 0],
  ])
  metric('pipeline_cron_run_in_progress', 'gauge', 'Whether a run is in progress.', [[{}, status.current_run ? 1 : 0]])
  if (last?.duration_ms != null) {
    metric('pipeline_cron_last_run_duration_seconds', 'gauge', 'Duration of the last finished run.', [[{ status: last.status }, last.duration_ms / 1000]])
  }
  if (last?.finished_at) {
    metric('pipeline_cron_last_run_timestamp_seconds', 'gauge', 'When the last finished run ended (Unix time).', [[{ status: last.status }, Date.parse(last.finished_at) / 1000]])
  }
  if (lastSuccess?.finished_at) {
    metric('pipeline_cron_last_success_timestamp_seconds', 'gauge', 'When the last successful run ended (Unix time).', [[{}, Date.parse(lastSuccess.finished_at) / 1000]])
  }
  if (status.next_run_at) {
    metric('pipeline_cron_next_run_timestamp_seconds', 'gauge', 'When the next scheduled run is due (Unix time).', [[{}, Date.parse(status.next_run_at) / 1000]])
  }
  return out.join('\n') + '\n'
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
