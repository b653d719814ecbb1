import { Command, InvalidArgumentError, Option } from 'commander'
import { dirname, resolve } from 'node:path'
import { DEFAULTS } from '../../../src/config.js'
import { newRunId } from '../../../src/daemon.js'
import { INSTANCE_ENV, type LogWriter } from '../../../src/ports.js'
import { runPipeline } from '../../../src/run-pipeline.js'
import { createFileLogWriter } from '../log-writer.js'
import { loadPipeline, resolvePipelinePath } from '../pipeline-file.js'
import { childProcessRunner } from '../process-runner.js'

/**
 * `run-once`: runs the pipeline in the foreground, with no server and no daemon, printing the
 * log lines. The exit code is the run's result: 0 on success, 1 otherwise.
 */
export function runOnceCommand(): Command {
  return new Command('run-once')
    .description('run the pipeline once in the foreground (no server, no daemon); exit 0 on success, 1 on failure')
    .addOption(new Option('--pipeline <file>', 'pipeline file (default: ./pipeline.json, else the bundled example)').env('PIPELINE_FILE'))
    .option('--log-file <file>', 'also append the log lines to this file')
    .addOption(new Option('--stop-grace <seconds>', 'on Ctrl-C, SIGTERM → SIGKILL grace for the current step').argParser(seconds).default(DEFAULTS.stopGraceSeconds))
    .action(async (o: { pipeline?: string; logFile?: string; stopGrace: number }) => {
      const pipelineFile = resolvePipelinePath(o.pipeline ?? null)
      const pipeline = await loadPipeline(pipelineFile)
      const file = o.logFile ? createFileLogWriter(resolve(o.logFile), DEFAULTS.logMaxBytes, DEFAULTS.logKeep) : null
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
      const instanceId = `run-once-${newRunId(at)}`
      try {
        const run = await runPipeline({
          id: newRunId(at),
          instanceId,
          trigger: 'manual',
          scheduledAt: null,
          pipeline,
          pipelineDir: dirname(pipelineFile),
          runner: childProcessRunner,
          log,
          baseEnv: { ...(process.env as Record<string, string>), [INSTANCE_ENV]: instanceId },
          signal: abort.signal,
          graceMs: o.stopGrace * 1000,
        })
        process.exitCode = run.status === 'success' ? 0 : 1
      } finally {
        log.close()
        process.off('SIGINT', cancel)
        process.off('SIGTERM', cancel)
      }
    })
}

function seconds(raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) > 3600) throw new InvalidArgumentError('expected an integer from 0 to 3600.')
  return Number(raw)
}
