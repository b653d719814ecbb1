import type { MiddlewareHandler } from 'hono'
import { timingSafeEqual } from 'hono/utils/buffer'
import { ApiError } from './errors.js'

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="pipeline-cron"' }

/**
 * Bearer-token guard. The full token may do anything; the read token only GET (and HEAD).
 * With no token configured every request passes.
 */
export function requireToken(tokens: { token?: string | null; readToken?: string | null }): MiddlewareHandler {
  return async (c, next) => {
    if (!tokens.token && !tokens.readToken) return next()
    const header = c.req.header('Authorization') ?? ''
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!match) throw new ApiError(401, 'Authentication required: send Authorization: Bearer <token>', CHALLENGE)
    const given = match[1]!
    if (tokens.token && (await timingSafeEqual(given, tokens.token))) return next()
    if (tokens.readToken && (await timingSafeEqual(given, tokens.readToken))) {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
      throw new ApiError(403, 'The read-only token may only use GET routes')
    }
    throw new ApiError(401, 'Invalid token', { 'WWW-Authenticate': 'Bearer realm="pipeline-cron", error="invalid_token"' })
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * With no token, any web page the operator visits could make the browser POST here (a form, or
 * fetch with mode 'no-cors', both without a CORS preflight) and start or stop the daemon.
 * Browsers mark such requests (Sec-Fetch-Site, else Origin); other clients send neither. With a
 * token this is moot: a browser never attaches it by itself.
 */
export function refuseCrossSite(tokens: { token?: string | null; readToken?: string | null }): MiddlewareHandler {
  return async (c, next) => {
    if (tokens.token || tokens.readToken || SAFE_METHODS.has(c.req.method)) return next()
    const site = c.req.header('Sec-Fetch-Site')
    const origin = c.req.header('Origin')
    const crossSite = site !== undefined ? site === 'cross-site' || site === 'same-site' : origin !== undefined && !sameHost(origin, c.req.header('Host'))
    if (crossSite) {
      throw new ApiError(403, 'Cross-site request refused: without a token only same-origin pages and non-browser clients may use this route (set --token)')
    }
    return next()
  }
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase()
  } catch {
    return false // "null" (sandboxed frames, file://) and garbage are not us
  }
}
