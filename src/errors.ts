import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** The one error type routes throw; `app.onError` turns it into the error body. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail)
    this.name = 'ApiError'
  }
}

/** Every non-2xx answer carries this body. */
export interface ErrorBody {
  error: true
  detail: string
  timestamp: string
}

export function errorBody(detail: string, now: Date = new Date()): ErrorBody {
  return { error: true, detail, timestamp: now.toISOString() }
}

/** A configuration or pipeline-file problem: one line that names the file, the path and the rule. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}
