import { createRoute } from '@hono/zod-openapi'
import type { AppOptions } from '../app.js'
import { ApiError } from '../errors.js'
import type { Schedule } from '../schedule.js'
import { describeSchedule } from '../schedule.js'
import { errorResponses, jsonResponse, routeGroup } from '../route-kit.js'
import {
  runNowResultSchema,
  startBodySchema,
  statusSchema,
  stopBodySchema,
  stopResultSchema,
  successSchema,
} from '../schemas.js'
import { audit } from './audit.js'


export function cronRoutes(o: AppOptions) {
  const minInterval = o.minIntervalSeconds ?? 10
  const startBody = startBodySchema(minInterval)

  const start = createRoute({
    method: 'post',
    path: '/api/cron/start',
    tags: ['daemon'],
    summary: 'Start the pipeline daemon',
    description: `Every \`interval_seconds\` (an integer >= ${minInterval}; 120 when the body is empty), or on a \`cron\` expression in an optional \`timezone\`.`,
    request: { body: { content: { 'application/json': { schema: startBody } }, required: false } },
    responses: {
      200: jsonResponse(successSchema, 'Started'),
      ...errorResponses(400, 401, 409, 413, 415, 500, 503),
    },
  })

  const stop = createRoute({
    method: 'post',
    path: '/api/cron/stop',
    tags: ['daemon'],
    summary: 'Stop the daemon gracefully',
    request: { body: { content: { 'application/json': { schema: stopBodySchema } }, required: false } },
    responses: { 200: jsonResponse(stopResultSchema, 'Stopped; no process of its tree is left'), ...errorResponses(400, 401, 409, 413, 415, 500, 503) },
  })

  const status = createRoute({
    method: 'get',
    path: '/api/cron/status',
    tags: ['daemon'],
    summary: 'Daemon status, schedule, current and last run',
    responses: { 200: jsonResponse(statusSchema, 'Status'), ...errorResponses(401, 500) },
  })

  const runNow = createRoute({
    method: 'post',
    path: '/api/cron/run',
    tags: ['runs'],
    summary: 'Run the pipeline now, in the running daemon',
    responses: { 200: jsonResponse(runNowResultSchema, 'Run started'), ...errorResponses(401, 409, 500) },
  })

  return routeGroup()
    .openapi(start, async (c) => {
      const body = c.req.valid('json')
      const schedule: Schedule =
        body.cron !== undefined
          ? { type: 'cron', cron: body.cron, timezone: body.timezone ?? null }
          : { type: 'interval', interval_seconds: body.interval_seconds ?? 120 }
      // Interval schedules run at start unless told not to; cron schedules wait for their time.
      const runImmediately = body.run_immediately ?? schedule.type === 'interval'
      const result = await o.controller.start({ schedule, runImmediately })
      if (!result.ok) throw new ApiError(409, `Daemon is already running (PID: ${result.pid})`)
      await audit(o, c, `started the daemon with ${describeSchedule(schedule)} (PID: ${result.pid})`)
      return c.json(
        {
          success: true as const,
          message: `Daemon started successfully with ${describeSchedule(schedule)} (PID: ${result.pid})`,
          timestamp: new Date().toISOString(),
        },
        200,
      )
    })
    .openapi(stop, async (c) => {
      const mode = c.req.valid('json').mode ?? 'cancel'
      const result = await o.controller.stop(mode)
      if (!result.ok) throw new ApiError(409, 'Daemon is not running')
      await audit(o, c, `stopped the daemon (PID: ${result.pid}, mode: ${mode})`)
      return c.json(
        {
          success: true as const,
          message: 'Daemon stopped successfully',
          timestamp: new Date().toISOString(),
          survivors: result.survivors,
          forced: result.forced,
        },
        200,
      )
    })
    .openapi(status, async (c) => c.json(await o.controller.status(), 200))
    .openapi(runNow, async (c) => {
      const result = await o.controller.runNow()
      if (!result.ok) throw new ApiError(409, result.detail)
      await audit(o, c, `triggered a manual run${result.runId ? ` (${result.runId})` : ''}`)
      return c.json(
        { success: true as const, message: 'Run started', timestamp: new Date().toISOString(), run_id: result.runId },
        200,
      )
    })
}
