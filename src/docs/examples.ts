/** Examples for the OpenAPI document: each route's definition names its own (defineRoute's `examples`). */

const at = '2025-12-26T10:30:45.123Z'
const error = (detail: string) => ({ error: true, detail, timestamp: at })
const busy = error('Busy: another start or stop is in progress; try again')

export const startExamples = {
  body: {
    every_minute: { summary: 'Every 60 seconds (the original README\'s example)', value: { interval_seconds: 60 } },
    every_5_minutes: { summary: 'Every 5 minutes', value: { interval_seconds: 300 } },
    cron: { summary: 'Cron expression in a time zone', value: { cron: '*/5 * * * *', timezone: 'Europe/Berlin' } },
    no_first_run: { summary: 'Hourly, first run after one hour', value: { interval_seconds: 3600, run_immediately: false } },
  },
  responses: {
    200: { success: true, message: 'Daemon started successfully with interval: 60 seconds (PID: 12345)', timestamp: at },
    400: error('interval_seconds: must be an integer >= 10'),
    409: error('Daemon is already running (PID: 12345)'),
    503: busy,
  },
}

export const stopExamples = {
  body: {
    cancel: { summary: 'End the current run now (default)', value: {} },
    drain: { summary: 'Let the current run finish first', value: { mode: 'drain' } },
  },
  responses: {
    200: { success: true, message: 'Daemon stopped successfully', timestamp: at, survivors: [], forced: false },
    400: error('mode: must be "cancel" or "drain"'),
    409: error('Daemon is not running'),
    503: busy,
  },
}

export const runNowExamples = {
  200: { success: true, message: 'Run started', timestamp: at, run_id: '20251226T103045Z-3f2a' },
  409: error('A run is in progress (20251226T103045Z-3f2a)'),
}

export const clearLogsExamples = { 200: { success: true, message: 'Logs cleared successfully', timestamp: at } }

export const healthExamples = { 200: { status: 'healthy', timestamp: at } }

export const runExamples = { 404: error('Run not found: 20251226T103045Z-3f2a') }

export const runLogsExamples = { 404: error('The log lines of run 20251226T103045Z-3f2a are no longer in the retained log files') }

export const deadManExamples = { 503: error('Daemon is not running') }

/** The 400 of a route whose only input is a `lines` or `limit` query parameter. */
export const badQueryExamples = (name: 'lines' | 'limit') => ({ 400: error(`${name}: must be an integer from 1 to 100000`) })

/** Error examples for any operation that documents the status but has no example of its own. */
export const genericErrorExamples: Record<number, unknown> = {
  401: error('Authentication required: send Authorization: Bearer <token>'),
  403: error('The read-only token may only use GET routes'),
  413: error('Request body too large: the limit is 65536 bytes'),
  415: error('Unsupported Media Type: send the body as application/json'),
  500: error('Internal server error'),
}
