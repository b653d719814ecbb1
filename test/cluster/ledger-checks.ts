/**
 * What "each tick once" means, checked on what a cluster run left: the run records (from the
 * API) and the steps' own file of executions (`start <slot> <ms> <pid>` / `end <slot> <ms>`).
 */
export interface Run {
  id: string
  trigger: string
  status: string
  reason?: string
  scheduled_at: string | null
  started_at: string
  finished_at: string | null
  steps: { status: string }[]
}

export interface Execution {
  slot: string
  start: number
  end: number | null
  pid: number
}

export function parseExecutions(text: string): Execution[] {
  const bySlot = new Map<string, Execution[]>()
  const all: Execution[] = []
  for (const line of text.split('\n')) {
    const [kind, slot, ms, pid] = line.split(' ')
    if (!kind || !slot) continue
    if (kind === 'start') {
      const e: Execution = { slot, start: Number(ms), end: null, pid: Number(pid) }
      all.push(e)
      bySlot.set(slot, [...(bySlot.get(slot) ?? []), e])
    } else if (kind === 'end') {
      const open = bySlot.get(slot)?.find((e) => e.end === null)
      if (open) open.end = Number(ms)
    }
  }
  return all
}

export interface LedgerReport {
  ticks: number
  byStatus: Record<string, number>
  /** Slots with more than one record. */
  duplicateRecords: string[]
  /** Slots of the grid between the first and the last with no record. */
  gaps: string[]
  /** Slots whose step started more than once. */
  executedTwice: string[]
  /** Pairs of runs (by record times) that overlap. */
  recordOverlaps: string[]
  /** Pairs of step executions that overlap (an execution without an end ends at its worker's kill). */
  executionOverlaps: string[]
  /** Executions whose slot has no run record that says it ran. */
  executionsWithoutRun: string[]
}

/** `killedAt`: when the test killed the worker running each killed execution's slot (by slot). */
export function checkLedger(runs: Run[], executions: Execution[], intervalMs: number, killedAt: Map<string, number>): LedgerReport {
  const scheduled = runs.filter((r) => r.trigger === 'schedule' && r.scheduled_at)
  const bySlot = new Map<string, Run[]>()
  for (const r of scheduled) bySlot.set(r.scheduled_at!, [...(bySlot.get(r.scheduled_at!) ?? []), r])
  const slots = [...bySlot.keys()].map((s) => Date.parse(s)).sort((x, y) => x - y)
  const gaps: string[] = []
  for (let i = 1; i < slots.length; i++) for (let s = slots[i - 1]! + intervalMs; s < slots[i]!; s += intervalMs) gaps.push(new Date(s).toISOString())
  const byStatus: Record<string, number> = {}
  for (const r of runs) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1

  const ran = runs.filter((r) => r.steps.some((s) => s.status !== 'not_run') || r.status === 'abandoned' || r.status === 'running')
  const sorted = [...ran].sort((x, y) => Date.parse(x.started_at) - Date.parse(y.started_at))
  const recordOverlaps: string[] = []
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!
    const end = prev.finished_at ? Date.parse(prev.finished_at) : Infinity
    if (Date.parse(sorted[i]!.started_at) < end) recordOverlaps.push(`${prev.id} (${prev.status}) and ${sorted[i]!.id}`)
  }

  const starts = new Map<string, number>()
  for (const e of executions) starts.set(e.slot, (starts.get(e.slot) ?? 0) + 1)
  const byStart = [...executions].sort((x, y) => x.start - y.start)
  const executionOverlaps: string[] = []
  for (let i = 1; i < byStart.length; i++) {
    const prev = byStart[i - 1]!
    const end = prev.end ?? killedAt.get(prev.slot) ?? Infinity
    if (byStart[i]!.start < end) executionOverlaps.push(`${prev.slot} and ${byStart[i]!.slot}`)
  }
  const ranSlots = new Set(ran.map((r) => r.scheduled_at))
  return {
    ticks: slots.length,
    byStatus,
    duplicateRecords: [...bySlot].filter(([, rs]) => rs.length > 1).map(([s]) => s),
    gaps,
    executedTwice: [...starts].filter(([, n]) => n > 1).map(([s]) => s),
    recordOverlaps,
    executionOverlaps,
    executionsWithoutRun: executions.filter((e) => !ranSlots.has(e.slot)).map((e) => e.slot),
  }
}

/** The p-th percentile (0-100) of `values`. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
