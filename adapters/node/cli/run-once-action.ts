import { basename, dirname, resolve } from 'node:path'
import { DEFAULTS } from '../../../src/config.js'
import { newRunId } from '../../../src/daemon/run-id.js'
import type { LogWriter, RunStatus } from '../../../src/ports.js'
import { daemonVariables, runPipeline } from '../../../src/run-pipeline.js'
import { createFileLogWriter } from '../../posix/log-writer.js'
import { loadPipeline, resolvePipelinePath } from '../../posix/pipeline-file.js'
import { childProcessRunner } from '../process-runner.js'

/** Runs the pipeline once with the daemon's run loop, the log lines going to stdout (and `logFile`). */
export async function runOnce(options: { pipeline?: string; logFile?: string; stopGrace: number }): Promise<RunStatus> {
  const pipelineFile = resolvePipelinePath(options.pipeline ?? null)
  const pipeline = await loadPipeline(pipelineFile)
  const file = options.logFile ? createFileLogWriter(resolve(options.logFile), DEFAULTS.logMaxBytes, DEFAULTS.logKeep) : null
  const log: LogWriter = {
    append(text) {
      process.stdout.write(text)
      file?.append(text)
    },
    close() {
      file?.close()
    },
  }
  // Ctrl-C cancels the run as a daemon stop does: the step's group gets SIGTERM, then SIGKILL.
  const abort = new AbortController()
  const cancel = () => abort.abort()
  process.once('SIGINT', cancel)
  process.once('SIGTERM', cancel)
  const at = new Date()
  const id = newRunId(at)
  const instanceId = `run-once-${id}`
  try {
    const run = await runPipeline({
      id,
      instanceId,
      trigger: 'manual',
      scheduledAt: null,
      pipeline,
      pipelineDir: dirname(pipelineFile),
      runner: childProcessRunner,
      log,
      baseEnv: process.env as Record<string, string>,
      // The instance marker tags the steps' whole tree, as in a daemon; the run id is this run's.
      ownEnv: daemonVariables({ instanceId, pipeline: pipelineName(pipelineFile), runId: id, scheduledAt: null }),
      signal: abort.signal,
      graceMs: options.stopGrace * 1000,
    })
    return run.status
  } finally {
    log.close()
    process.off('SIGINT', cancel)
    process.off('SIGTERM', cancel)
  }
}

/** The pipeline's name as a folder of pipelines would give it: the file's stem. */
function pipelineName(file: string): string {
  return basename(file, '.json')
}
