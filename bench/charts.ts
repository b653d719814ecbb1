/** The SVG charts for sections 1-3 and 7, from the results of a run. */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ENDPOINTS, type HttpData } from './http.js'
import { barChart, lineChart } from './lib/svg.js'
import { MANY, type ManyData } from './pipelines.js'
import type { ScheduleData } from './schedule.js'
import type { TailData } from './tail.js'

const COLORS = { bare: '#9e9e9e', node: '#3c873a', bun: '#c8822a' }

/** Writes the charts whose sections ran; returns the file names. */
export function writeCharts(dir: string, data: Record<string, unknown>): string[] {
  const out: string[] = []
  const write = (name: string, svg: string) => (writeFileSync(join(dir, name), svg), out.push(name))
  if (data['1']) write('http.svg', httpChart(data['1'] as HttpData))
  if (data['2']) write('tail.svg', tailChart(data['2'] as TailData))
  if (data['3']) write('schedule.svg', scheduleChart(data['3'] as ScheduleData))
  if (data['7']) write('pipelines.svg', pipelinesChart(data['7'] as ManyData))
  return out
}

function httpChart(d: HttpData): string {
  return barChart({
    title: 'Requests per second, 32 connections (higher is better)',
    yLabel: 'requests / s',
    categories: ENDPOINTS.map((p) => `GET ${p.replace('/api/cron', '')}`),
    series: (['bare', 'node', 'bun'] as const).map((t) => ({
      name: t === 'bare' ? 'bare node:http (fixed JSON)' : t === 'node' ? 'Node server' : 'Bun server',
      color: COLORS[t],
      values: ENDPOINTS.map((p) => d[p]![t].rps),
    })),
  })
}

function tailChart(d: TailData): string {
  const xOf = (mb: number) => Math.log10(mb)
  const series = (['node', 'bun'] as const).flatMap((rt) => [
    { name: `${rt}: tail?lines=50`, color: COLORS[rt], points: d[rt].points.map((p) => [xOf(p.sizeMB), p.tailMs] as [number, number]) },
    { name: `${rt}: logs?lines=50`, color: COLORS[rt], dashed: true, points: d[rt].points.map((p) => [xOf(p.sizeMB), p.logsMs] as [number, number]) },
  ])
  return lineChart({
    title: 'Median latency of the last 50 lines against log size (flat is the goal)',
    xLabel: 'log file size (log scale)',
    yLabel: 'median latency, ms',
    series,
    xTicks: d.node.points.map((p) => ({ x: xOf(p.sizeMB), label: p.sizeMB >= 1024 ? `${p.sizeMB / 1024} GB` : `${p.sizeMB} MB` })),
  })
}

function scheduleChart(d: ScheduleData): string {
  return lineChart({
    title: 'Run start lateness against t0 + k x 1 s (lower is better)',
    xLabel: 'tick k',
    yLabel: 'lateness, ms',
    series: (['node', 'bun'] as const).map((rt) => ({ name: `${rt} daemon`, color: COLORS[rt], points: d[rt].map((t) => [t.k, t.latenessMs] as [number, number]) })),
    hLines: [{ y: 20, label: 'target: mean <= 20 ms' }],
  })
}

function pipelinesChart(d: ManyData): string {
  const perTick = (rt: 'node' | 'bun', f: (xs: number[]) => number) => d.lateness[rt].ticks.map((tick, k) => [k + 1, f(tick)] as [number, number])
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  return lineChart({
    title: `Run start lateness, ${MANY} pipelines due at the same second (lower is better)`,
    xLabel: 'tick k (every 2 s)',
    yLabel: 'started_at - scheduled_at, ms',
    series: (['node', 'bun'] as const).flatMap((rt) => [
      { name: `${rt}: mean`, color: COLORS[rt], points: perTick(rt, mean) },
      { name: `${rt}: last of ${MANY}`, color: COLORS[rt], dashed: true, points: perTick(rt, (xs) => Math.max(...xs)) },
    ]),
    // Room above the 100 ms line for its label and the legend.
    yMax: 120,
    hLines: [
      { y: 20, label: 'target: mean <= 20 ms' },
      { y: 100, label: 'target: max <= 100 ms' },
    ],
  })
}
