/**
 * The two places a pipeline's routes are served: `/api/cron/…` for the default pipeline (the
 * original single-pipeline API, unchanged) and `/api/pipelines/{name}/…` for any pipeline. Each
 * route file defines its routes once, for a scope, and is mounted for both.
 */
import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { PipelineCatalog, PipelineHandle } from '../control/catalog.js'
import { ApiError } from '../errors.js'

export interface PipelineScope<P extends string> {
  /** Paths start with this: `/api/cron` or `/api/pipelines/{name}`. */
  prefix: P
  /** The path parameters the prefix adds (the pipeline's name), to merge into each route's. */
  params: typeof nameParams | null
  /** The pipeline a request is about; a 404 with the error body when there is none. */
  resolve(c: Context): Promise<PipelineHandle>
}

export const nameParams = z.object({
  name: z
    .string()
    .max(64, { error: 'must be at most 64 characters' })
    .openapi({ param: { name: 'name', in: 'path' }, example: 'orders', description: 'The pipeline: its file stem in --pipelines DIR, or `default`' }),
})

/** `/api/cron/…`: the default pipeline. */
export function defaultScope(catalog: PipelineCatalog): PipelineScope<'/api/cron'> {
  return {
    prefix: '/api/cron',
    params: null,
    async resolve() {
      const name = await catalog.defaultName()
      const handle = name ? await catalog.get(name) : null
      if (!handle) {
        throw new ApiError(404, 'No default pipeline: this server runs several; use /api/pipelines/{name}/… (see GET /api/pipelines), or start it with --default-pipeline NAME')
      }
      return handle
    },
  }
}

/** `/api/pipelines/{name}/…`: any pipeline. */
export function namedScope(catalog: PipelineCatalog): PipelineScope<'/api/pipelines/{name}'> {
  return {
    prefix: '/api/pipelines/{name}',
    params: nameParams,
    async resolve(c) {
      const name = c.req.param('name') ?? ''
      const handle = await catalog.get(name)
      if (!handle) throw new ApiError(404, `Pipeline not found: ${name} (see GET /api/pipelines)`)
      return handle
    },
  }
}

/** A route's own path parameters, plus the scope's. */
export function withScopeParams<T extends z.ZodRawShape>(scope: PipelineScope<string>, own: z.ZodObject<T>) {
  return scope.params ? scope.params.extend(own.shape) : own
}
