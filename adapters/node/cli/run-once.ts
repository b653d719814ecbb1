import { Command, InvalidArgumentError, Option } from 'commander'
import { DEFAULTS } from '../../../src/config.js'

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
    .action(async (options: { pipeline?: string; logFile?: string; stopGrace: number }) => {
      // Loaded here, not at the top: the client commands start faster without the runner's modules.
      const { runOnce } = await import('./run-once-action.js')
      process.exitCode = (await runOnce(options)) === 'success' ? 0 : 1
    })
}

function seconds(raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) > 3600) throw new InvalidArgumentError('expected an integer from 0 to 3600.')
  return Number(raw)
}
