import type { Context } from 'hono'
import type { AppOptions } from '../app.js'
import { formatLine } from '../log-line.js'

/** One audit line in the pipeline log for each state-changing request, with the client address. */
export async function audit(o: AppOptions, c: Context, what: string): Promise<void> {
  const who = o.clientAddress?.(c) ?? 'unknown address'
  await o.logs.append(formatLine(`Audit: ${who} ${what}`, new Date())).catch(() => undefined)
}
