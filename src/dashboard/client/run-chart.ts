/** The run history's chart: one bar per run (oldest on the left), its height the duration, its colour the status. */
import type { RunRecord } from '../../schemas.js'
import { serverNow } from './api.js'
import { $ } from './dom.js'
import { chartCaption, formatDuration, formatTime } from './format.js'

const SVG = 'http://www.w3.org/2000/svg'
const BARS = 50

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
  return e
}

/** A running run's bar grows with its elapsed time. */
function durationOf(run: RunRecord): number {
  return run.duration_ms ?? (run.status === 'running' ? serverNow() - Date.parse(run.started_at) : 0)
}

export function drawChart(runs: RunRecord[], selected: string | null): void {
  const chart = $<SVGSVGElement>('chart')
  const width = Math.max(200, Math.round(chart.getBoundingClientRect().width) || 600)
  const height = 150
  const left = 52
  const bottom = 18
  const top = 8
  const data = runs.slice(0, BARS).reverse()
  chart.setAttribute('viewBox', `0 0 ${width} ${height}`)
  const durations = data.map(durationOf)
  const max = Math.max(1, ...durations)
  const plotH = height - top - bottom
  const parts: SVGElement[] = []
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH * (1 - f)
    parts.push(svg('line', { class: 'grid', x1: left, x2: width, y1: y, y2: y }))
    const label = svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' })
    label.textContent = formatDuration(max * f)
    parts.push(label)
  }
  const slot = (width - left - 4) / Math.max(data.length, 12)
  const barW = Math.max(3, Math.min(28, slot * 0.72))
  data.forEach((run, i) => {
    const h = Math.max(2, (durations[i]! / max) * plotH)
    const rect = svg('rect', {
      class: `bar f-${run.status}${run.id === selected ? ' selected' : ''}`,
      x: (left + 4 + i * slot + (slot - barW) / 2).toFixed(1),
      y: (top + plotH - h).toFixed(1),
      width: barW.toFixed(1),
      height: h.toFixed(1),
      rx: 2,
      'data-id': run.id,
    })
    const title = svg('title', {})
    title.textContent = `${run.status}, ${formatDuration(durations[i])}, ${formatTime(run.started_at)}`
    rect.append(title)
    parts.push(rect)
  })
  if (!data.length) {
    const t = svg('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle' })
    t.textContent = 'No runs yet'
    parts.push(t)
  }
  chart.replaceChildren(...parts)
  $('chart-desc').textContent = chartCaption(data.map((r) => r.status), max)
}
