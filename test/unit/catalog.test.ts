/** The pipeline catalog's list: answered again after a change, reused while nothing changed. */
import { describe, expect, it } from 'vitest'
import { createCatalog, FILE_REMOVED, type PipelineDefinition, type PipelineHandle } from '../../src/control/catalog.js'
import type { DaemonStatus } from '../../src/ports.js'

const stopped: DaemonStatus = { is_running: false, pid: null, message: 'Daemon is not running', paused: false, schedule: null, started_at: null, next_run_at: null, next_runs: [], current_run: null, last_run: null }

function catalogOf(names: string[]) {
  let statusCalls = 0
  let changes = 0
  const definitions: PipelineDefinition[] = names.map((name) => ({ name, file: `/p/${name}.json`, steps: 1, error: null }))
  const open = (d: PipelineDefinition): PipelineHandle =>
    ({ name: d.name, controller: { status: async () => (statusCalls++, stopped) } }) as unknown as PipelineHandle
  const catalog = createCatalog({ source: { list: async () => definitions }, open, defaultName: null, changes: () => changes })
  return { catalog, calls: () => statusCalls, change: () => void changes++, definitions }
}

describe('createCatalog list', () => {
  it('asks no status again while nothing changed - two listings of 50 pipelines in a row', async () => {
    const t = catalogOf(Array.from({ length: 50 }, (_, i) => `p${String(i).padStart(2, '0')}`))
    const first = await t.catalog.list()
    expect(first).toHaveLength(50)
    expect(t.calls()).toBe(50)
    expect(await t.catalog.list()).toBe(first)
    expect(t.calls()).toBe(50)
  })

  it('asks every status again - the daemon pushed a change, or a file was added', async () => {
    const t = catalogOf(['a', 'b'])
    await t.catalog.list()
    t.change()
    await t.catalog.list()
    expect(t.calls()).toBe(4)
    t.definitions.push({ name: 'c', file: '/p/c.json', steps: 2, error: null })
    expect((await t.catalog.list()).map((p) => p.name)).toEqual(['a', 'b', 'c'])
    expect(t.calls()).toBe(7)
  })
})

describe('createCatalog, a pipeline the daemon runs without its file', () => {
  const running: DaemonStatus = { ...stopped, is_running: true, pid: 42, message: 'Daemon is running (PID: 42)' }

  it('lists it with the removed-file error and opens it by name while it runs, then forgets it once it stopped', async () => {
    let runs = true
    const open = (d: PipelineDefinition): PipelineHandle => ({ name: d.name, controller: { status: async () => (runs ? running : stopped) } }) as unknown as PipelineHandle
    const files: PipelineDefinition[] = [{ name: 'b', file: '/p/b.json', steps: 1, error: null }]
    let changes = 0
    const catalog = createCatalog({
      source: { list: async () => files },
      open,
      defaultName: null,
      changes: () => changes,
      running: () => (runs ? [{ name: 'a', file: '/p/a.json', steps: null, error: null }] : []),
    })
    expect(await catalog.list()).toMatchObject([{ name: 'a', steps: null, error: FILE_REMOVED, is_running: true }, { name: 'b', error: null }])
    expect((await catalog.get('a'))?.name).toBe('a')
    runs = false
    changes++
    expect((await catalog.list()).map((p) => p.name)).toEqual(['b'])
    expect(await createCatalog({ source: { list: async () => files }, open, defaultName: null, running: () => [] }).get('a')).toBeNull()
  })
})
