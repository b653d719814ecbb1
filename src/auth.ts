import type { MiddlewareHandler } from 'hono'
import { timingSafeEqual } from 'hono/utils/buffer'
import { ApiError } from './errors.js'

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="pipeline-cron"' }

/**
 * Bearer-token guard. The full token may do anything; the read token only GET (and HEAD).
 * With no token configured every request passes.
 */
export function requireToken(o: { token?: string | null; readToken?: string | null }): MiddlewareHandler {
  return async (c, next) => {
    if (!o.token && !o.readToken) return next()
    const header = c.req.header('Authorization') ?? ''
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!match) throw new ApiError(401, 'Authentication required: send Authorization: Bearer <token>', CHALLENGE)
    const given = match[1]!
    if (o.token && (await timingSafeEqual(given, o.token))) return next()
    if (o.readToken && (await timingSafeEqual(given, o.readToken))) {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
      throw new ApiError(403, 'The read-only token may only use GET routes')
    }
    throw new ApiError(401, 'Invalid token', { 'WWW-Authenticate': 'Bearer realm="pipeline-cron", error="invalid_token"' })
  }
}
