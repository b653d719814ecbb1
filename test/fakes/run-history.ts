import type { RunHistory, RunRecord } from '../../src/ports.js'

/**
 * In-memory RunHistory: records are appended as copies; readers see the newest record per id.
 * Handles given the same `records` array share one history, as processes share runs.jsonl.
 */
export function createMemoryRunHistory(records: RunRecord[] = []): RunHistory & { readonly records: RunRecord[] } {

  function latest(): RunRecord[] {
    const seen = new Set<string>()
    const out: RunRecord[] = []
    for (let i = records.length - 1; i >= 0; i--) {
      const run = records[i]!
      if (seen.has(run.id)) continue
      seen.add(run.id)
      out.push(structuredClone(run))
    }
    return out.sort((a, b) => b.started_at.localeCompare(a.started_at))
  }

  return {
    records,
    async append(run) {
      records.push(structuredClone(run))
    },
    async list(limit) {
      return latest().slice(0, limit)
    },
    async get(id) {
      return latest().find((r) => r.id === id) ?? null
    },
  }
}
