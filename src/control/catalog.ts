/**
 * The pipelines an app serves: their definitions (from files, kept current by the adapter) and,
 * for each, the ports its routes use. `/api/cron/…` serves the default pipeline;
 * `/api/pipelines/{name}/…` any of them.
 */
import type { CronController, LogStore, RunHistory } from '../ports.js'
import type { PipelineSummary } from '../schemas.js'

/** A pipeline as its file defines it: how many steps, or why the file is not valid. */
export interface PipelineDefinition {
  name: string
  file: string
  steps: number | null
  error: string | null
}

/** Where the definitions come from (a pipeline file and a folder of them, watched). */
export interface PipelineSource {
  /** Every pipeline known now, sorted by name. */
  list(): Promise<PipelineDefinition[]>
}

/** What the routes of one pipeline talk to. */
export interface PipelineHandle {
  name: string
  controller: CronController
  logs: LogStore
  runs: RunHistory
}

export interface PipelineCatalog {
  /** Every pipeline with its state, sorted by name. */
  list(): Promise<PipelineSummary[]>
  /** The ports of one pipeline; null for a name no file defines (nor a running pipeline). */
  get(name: string): Promise<PipelineHandle | null>
  /** The pipeline `/api/cron/…` serves; null when there are several and none is the default. */
  defaultName(): Promise<string | null>
}

export interface CatalogOptions {
  source: PipelineSource
  /** Builds the ports of one pipeline; called once per name, the result is kept. */
  open: (definition: PipelineDefinition) => PipelineHandle
  /** The name asked for (`--default-pipeline`); otherwise `default` when it exists, else the only pipeline. */
  defaultName: string | null
  /**
   * A counter that moves whenever a pipeline's state may have changed (the daemon pushed). While it
   * and the definitions stay the same, the list is answered from the last one, for at most a second.
   */
  changes?: () => number
  /**
   * The pipelines the daemon runs now, as definitions. One whose file was removed stays listed
   * (with FILE_REMOVED) and reachable, to be stopped, also from a server started since.
   */
  running?: () => PipelineDefinition[]
}

/** The error a listed pipeline carries while it runs without its file. */
export const FILE_REMOVED = 'the pipeline file was removed'

// The longest a listing is reused when nothing said it changed (a cleanup the API did itself, say).
const LIST_REUSE_MS = 1000

/** The name `/api/cron/…` serves: the one asked for, else `default` when it exists, else the only pipeline. */
export function chooseDefault(asked: string | null, definitions: PipelineDefinition[]): string | null {
  if (asked) return asked
  if (definitions.some((d) => d.name === 'default')) return 'default'
  return definitions.length === 1 ? definitions[0]!.name : null
}

export function createCatalog(options: CatalogOptions): PipelineCatalog {
  const handles = new Map<string, PipelineHandle>()
  let listed: { key: string; at: number; rows: PipelineSummary[] } | null = null
  const handleOf = (definition: PipelineDefinition) => {
    let handle = handles.get(definition.name)
    if (!handle) handles.set(definition.name, (handle = options.open(definition)))
    return handle
  }

  /** The files' definitions, and the running pipelines that no file defines any more. */
  async function allDefinitions(): Promise<PipelineDefinition[]> {
    const definitions = await options.source.list()
    const names = new Set(definitions.map((d) => d.name))
    const orphans = (options.running?.() ?? []).filter((d) => !names.has(d.name)).map((d) => ({ ...d, steps: null, error: FILE_REMOVED }))
    return orphans.length === 0 ? definitions : [...definitions, ...orphans].sort((a, b) => a.name.localeCompare(b.name))
  }

  return {
    defaultName: async () => chooseDefault(options.defaultName, await options.source.list()),
    async get(name) {
      const known = handles.get(name)
      if (known) return known
      const definition = (await allDefinitions()).find((d) => d.name === name)
      return definition ? handleOf(definition) : null
    },
    async list() {
      const definitions = await allDefinitions()
      const key = options.changes ? `${options.changes()}|${JSON.stringify(definitions)}` : null
      if (key !== null && listed?.key === key && Date.now() - listed.at < LIST_REUSE_MS) return listed.rows
      const rows = await summaries(definitions)
      if (key !== null) listed = { key, at: Date.now(), rows }
      return rows
    },
  }

  async function summaries(definitions: PipelineDefinition[]): Promise<PipelineSummary[]> {
    // A pipeline whose file was removed while it runs stays listed until it is stopped.
    const names = new Set(definitions.map((d) => d.name))
    const gone = [...handles.values()].filter((h) => !names.has(h.name))
    const rows = await Promise.all([
      ...definitions.map(async (definition) => summary(handleOf(definition), definition.steps, definition.error)),
      ...gone.map(async (handle) => summary(handle, null, FILE_REMOVED)),
    ])
    return rows.filter((row): row is PipelineSummary => row !== null).sort((a, b) => a.name.localeCompare(b.name))
  }
}

/** A single pipeline's ports as a catalog (embedding with `createApp({ controller, logs, runs })`). */
export function singlePipeline(handle: Omit<PipelineHandle, 'name'> & { name?: string }): PipelineCatalog {
  const named: PipelineHandle = { ...handle, name: handle.name ?? 'default' }
  return createCatalog({ source: { list: async () => [{ name: named.name, file: '', steps: null, error: null }] }, open: () => named, defaultName: named.name })
}

async function summary(handle: PipelineHandle, steps: number | null, error: string | null): Promise<PipelineSummary | null> {
  const status = await handle.controller.status()
  if (error === FILE_REMOVED && !status.is_running) return null
  const { is_running, paused, schedule, next_run_at, current_run, last_run } = status
  return { name: handle.name, steps, error, is_running, paused, schedule, next_run_at, current_run, last_run }
}
