import type { AppSettings } from '../app-deps.js'
import { ApiError } from '../errors.js'
import type { Schedule } from '../schedule.js'
import { describeSchedule } from '../schedule.js'
import { runNowExamples, startExamples, stopExamples } from '../docs/examples.js'
import { defineRoute, jsonResponse, routeGroup } from '../route-kit.js'
import {
  runNowResultSchema,
  startBodySchema,
  statusSchema,
  stopBodySchema,
  stopResultSchema,
  successSchema,
} from '../schemas.js'
import { audit } from './audit.js'
import type { PipelineScope } from './scope.js'

/** start, stop, status, run-now, pause and resume of one pipeline's schedule. */
export function cronRoutes<P extends string>(scope: PipelineScope<P>, settings: Pick<AppSettings, 'minIntervalSeconds' | 'clientAddress'>) {
  const minInterval = settings.minIntervalSeconds ?? 10
  const startBody = startBodySchema(minInterval)
  const params = scope.params ? { params: scope.params } : {}

  const start = defineRoute({
    method: 'post',
    path: `${scope.prefix}/start`,
    tags: ['daemon'],
    summary: 'Start the pipeline daemon',
    description: `Every \`interval_seconds\` (an integer >= ${minInterval}; 120 when the body is empty), or on a \`cron\` expression in an optional \`timezone\`.`,
    request: { ...params, body: { content: { 'application/json': { schema: startBody } }, required: false } },
    responses: { 200: jsonResponse(successSchema, 'Started') },
  }, { guarded: true, errors: [404, 409, 503], examples: startExamples.responses, bodyExamples: startExamples.body })

  const stop = defineRoute({
    method: 'post',
    path: `${scope.prefix}/stop`,
    tags: ['daemon'],
    summary: 'Stop the daemon gracefully',
    request: { ...params, body: { content: { 'application/json': { schema: stopBodySchema } }, required: false } },
    responses: { 200: jsonResponse(stopResultSchema, 'Stopped; no process of its tree is left') },
  }, { guarded: true, errors: [404, 409, 503], examples: stopExamples.responses, bodyExamples: stopExamples.body })

  const status = defineRoute({
    method: 'get',
    path: `${scope.prefix}/status`,
    tags: ['daemon'],
    summary: 'Daemon status, schedule, current and last run',
    request: { ...params },
    responses: { 200: jsonResponse(statusSchema, 'Status') },
  }, { guarded: true, errors: [404] })

  const runNow = defineRoute({
    method: 'post',
    path: `${scope.prefix}/run`,
    tags: ['runs'],
    summary: 'Run the pipeline now, in the running daemon',
    request: { ...params },
    responses: { 200: jsonResponse(runNowResultSchema, 'Run started') },
  }, { guarded: true, errors: [404, 409, 503], examples: runNowExamples })

  const pause = defineRoute({
    method: 'post',
    path: `${scope.prefix}/pause`,
    tags: ['daemon'],
    summary: 'Pause: keep the schedule, skip scheduled runs (recorded `skipped`, reason `paused`)',
    request: { ...params },
    responses: { 200: jsonResponse(successSchema, 'Paused') },
  }, { guarded: true, errors: [404, 409, 503] })

  const resume = defineRoute({
    method: 'post',
    path: `${scope.prefix}/resume`,
    tags: ['daemon'],
    summary: 'Resume a paused pipeline',
    request: { ...params },
    responses: { 200: jsonResponse(successSchema, 'Resumed') },
  }, { guarded: true, errors: [404, 409, 503] })

  const ok = (message: string) => ({ success: true as const, message, timestamp: new Date().toISOString() })

  return routeGroup()
    .openapi(start, async (c) => {
      const pipeline = await scope.resolve(c)
      const body = c.req.valid('json')
      const schedule: Schedule =
        body.cron !== undefined
          ? { type: 'cron', cron: body.cron, timezone: body.timezone ?? null }
          : { type: 'interval', interval_seconds: body.interval_seconds ?? 120 }
      // Interval schedules run at start unless told not to; cron schedules wait for their time.
      const runImmediately = body.run_immediately ?? schedule.type === 'interval'
      const result = await pipeline.controller.start({ schedule, runImmediately })
      if (!result.ok) throw new ApiError(409, `Daemon is already running (${pidText(result.pid)})`)
      await audit(pipeline, settings, c, `started the daemon with ${describeSchedule(schedule)} (${pidText(result.pid)})`)
      return c.json(ok(`Daemon started successfully with ${describeSchedule(schedule)} (${pidText(result.pid)})`), 200)
    })
    .openapi(stop, async (c) => {
      const pipeline = await scope.resolve(c)
      const mode = c.req.valid('json').mode ?? 'cancel'
      const result = await pipeline.controller.stop(mode)
      if (!result.ok) throw new ApiError(409, 'Daemon is not running')
      await audit(pipeline, settings, c, `stopped the daemon (${pidText(result.pid)}, mode: ${mode})`)
      return c.json({ ...ok('Daemon stopped successfully'), survivors: result.survivors, forced: result.forced }, 200)
    })
    .openapi(status, async (c) => c.json(await (await scope.resolve(c)).controller.status(), 200))
    .openapi(runNow, async (c) => {
      const pipeline = await scope.resolve(c)
      const result = await pipeline.controller.runNow()
      if (!result.ok) throw new ApiError(409, result.detail)
      await audit(pipeline, settings, c, `triggered a manual run (${result.runId})`)
      return c.json({ ...ok('Run started'), run_id: result.runId }, 200)
    })
    .openapi(pause, async (c) => {
      const pipeline = await scope.resolve(c)
      const result = await pipeline.controller.pause()
      if (!result.ok) throw new ApiError(409, result.detail)
      await audit(pipeline, settings, c, 'paused the pipeline')
      return c.json(ok('Pipeline paused: scheduled runs are skipped until it is resumed'), 200)
    })
    .openapi(resume, async (c) => {
      const pipeline = await scope.resolve(c)
      const result = await pipeline.controller.resume()
      if (!result.ok) throw new ApiError(409, result.detail)
      await audit(pipeline, settings, c, 'resumed the pipeline')
      return c.json(ok('Pipeline resumed'), 200)
    })
}

/** `PID: 12345`, or what runs the schedule when no single process does (cluster mode). */
function pidText(pid: number | null): string {
  return pid === null ? 'cluster mode: run by the workers' : `PID: ${pid}`
}
