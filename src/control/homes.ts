import type { PipelineHome } from '../daemon/protocol.js'

/** The name of the pipeline given by `--pipeline` (or ./pipeline.json, or the bundled example). */
export const DEFAULT_PIPELINE = 'default'

/** Pipeline names: file stems in `--pipelines DIR`; also path segments, so nothing else is allowed. */
export const PIPELINE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/

export interface Layout {
  stateDir: string
  /** Where `<name>.log` of every pipeline but `default` goes. */
  logDir: string
  /** The `default` pipeline's log, as in a single-pipeline setup. */
  logFile: string
}

/**
 * Where a pipeline's files live. `default` keeps the single-pipeline layout (STATE_DIR/state.json,
 * STATE_DIR/runs.jsonl, the `--log-file`), so an existing setup carries over; every other pipeline
 * gets STATE_DIR/pipelines/<name>/ and LOG_DIR/<name>.log.
 */
export function homeOf(name: string, file: string, layout: Layout): PipelineHome {
  if (name === DEFAULT_PIPELINE) return { name, file, log_file: layout.logFile, dir: layout.stateDir }
  return { name, file, log_file: `${trimSlash(layout.logDir)}/${name}.log`, dir: `${trimSlash(layout.stateDir)}/pipelines/${name}` }
}

function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path
}
