import type { Context } from 'hono'
import type { AppSettings } from '../app-deps.js'
import type { PipelineHandle } from '../control/catalog.js'
import { formatLine } from '../log-line.js'

/** One audit line in the pipeline's log for each state-changing request, with the client address. */
export async function audit(pipeline: Pick<PipelineHandle, 'logs'>, settings: Pick<AppSettings, 'clientAddress'>, c: Context, what: string): Promise<void> {
  const who = settings.clientAddress?.(c) ?? 'unknown address'
  await pipeline.logs.append(formatLine(`Audit: ${who} ${what}`, new Date())).catch(() => undefined)
}
