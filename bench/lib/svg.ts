/** Hand-written SVG charts (no dependency): grouped bars and lines, with axes, ticks and a legend. */

export interface Series {
  name: string
  color: string
  values: number[]
}

const W = 760
const H = 380
const M = { top: 48, right: 20, bottom: 64, left: 72 }
const PW = W - M.left - M.right
const PH = H - M.top - M.bottom

/** Grouped bars: one group per category, one bar per series; values printed above the bars. */
export function barChart(o: { title: string; yLabel: string; categories: string[]; series: Series[] }): string {
  const top = niceMax(Math.max(...o.series.flatMap((s) => s.values)))
  const y = (v: number) => M.top + PH - (v / top) * PH
  const group = PW / o.categories.length
  const bar = (group * 0.8) / o.series.length
  const parts: string[] = []
  o.categories.forEach((cat, i) => {
    const x0 = M.left + i * group + group * 0.1
    o.series.forEach((s, j) => {
      const v = s.values[i]!
      const x = x0 + j * bar
      parts.push(`<rect x="${r(x)}" y="${r(y(v))}" width="${r(bar - 2)}" height="${r(M.top + PH - y(v))}" fill="${s.color}"/>`)
      parts.push(`<text x="${r(x + bar / 2 - 1)}" y="${r(y(v) - 4)}" font-size="11" text-anchor="middle">${Math.round(v)}</text>`)
    })
    parts.push(`<text x="${r(M.left + i * group + group / 2)}" y="${M.top + PH + 20}" font-size="13" text-anchor="middle">${esc(cat)}</text>`)
  })
  return frame(o.title, o.yLabel, '', yAxis(top, y) + parts.join('') + legend(o.series))
}

/** Lines over numeric x; `xTicks` labels chosen x values; `hLines` draws dashed reference lines. */
export function lineChart(o: {
  title: string
  xLabel: string
  yLabel: string
  series: { name: string; color: string; points: [number, number][]; dashed?: boolean }[]
  xTicks?: { x: number; label: string }[]
  hLines?: { y: number; label: string }[]
  yMax?: number
}): string {
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]))
  const ys = [...o.series.flatMap((s) => s.points.map((p) => p[1])), ...(o.hLines ?? []).map((h) => h.y)]
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)]
  const top = o.yMax ?? niceMax(Math.max(...ys))
  const x = (v: number) => M.left + (x1 === x0 ? PW / 2 : ((v - x0) / (x1 - x0)) * PW)
  const y = (v: number) => M.top + PH - (Math.min(v, top) / top) * PH
  const parts: string[] = []
  const ticks = o.xTicks ?? niceTicks(x0, x1, xs.every(Number.isInteger)).map((v) => ({ x: v, label: String(v) }))
  for (const t of ticks) {
    parts.push(`<line x1="${r(x(t.x))}" x2="${r(x(t.x))}" y1="${M.top + PH}" y2="${M.top + PH + 5}" stroke="#333"/>`)
    parts.push(`<text x="${r(x(t.x))}" y="${M.top + PH + 20}" font-size="12" text-anchor="middle">${esc(t.label)}</text>`)
  }
  for (const h of o.hLines ?? []) {
    parts.push(`<line x1="${M.left}" x2="${M.left + PW}" y1="${r(y(h.y))}" y2="${r(y(h.y))}" stroke="#c00" stroke-dasharray="6 4"/>`)
    parts.push(`<text x="${M.left + PW - 4}" y="${r(y(h.y) - 5)}" font-size="11" text-anchor="end" fill="#c00">${esc(h.label)}</text>`)
  }
  for (const s of o.series) {
    const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${r(x(p[0]))},${r(y(p[1]))}`).join(' ')
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`)
    for (const p of s.points) parts.push(`<circle cx="${r(x(p[0]))}" cy="${r(y(p[1]))}" r="2.5" fill="${s.color}"/>`)
  }
  return frame(o.title, o.yLabel, o.xLabel, yAxis(top, y) + parts.join('') + legend(o.series.map((s) => ({ ...s, dashed: s.dashed ?? false }))))
}

function frame(title: string, yLabel: string, xLabel: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${W / 2}" y="22" font-size="15" font-weight="bold" text-anchor="middle">${esc(title)}</text>
<text transform="translate(16 ${M.top + PH / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(yLabel)}</text>
<text x="${M.left + PW / 2}" y="${H - 12}" font-size="12" text-anchor="middle">${esc(xLabel)}</text>
<line x1="${M.left}" x2="${M.left + PW}" y1="${M.top + PH}" y2="${M.top + PH}" stroke="#333"/>
${body}
</svg>
`
}

function yAxis(top: number, y: (v: number) => number): string {
  const out: string[] = [`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + PH}" stroke="#333"/>`]
  for (const v of niceTicks(0, top)) {
    out.push(`<line x1="${M.left}" x2="${M.left + PW}" y1="${r(y(v))}" y2="${r(y(v))}" stroke="#e5e5e5"/>`)
    out.push(`<text x="${M.left - 6}" y="${r(y(v) + 4)}" font-size="11" text-anchor="end">${v}</text>`)
  }
  return out.join('')
}

function legend(series: { name: string; color: string; dashed?: boolean }[]): string {
  return series
    .map((s, i) => {
      const x = M.left + 8 + i * 170
      const mark =
        s.dashed === undefined
          ? `<rect x="${x}" y="${M.top - 18}" width="12" height="12" fill="${s.color}"/>`
          : `<line x1="${x - 6}" x2="${x + 12}" y1="${M.top - 12}" y2="${M.top - 12}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`
      return `${mark}<text x="${x + 17}" y="${M.top - 8}" font-size="12">${esc(s.name)}</text>`
    })
    .join('')
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1
  const step = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (v <= m * step) return m * step
  return 10 * step
}

function niceTicks(lo: number, hi: number, integers = false): number[] {
  const span = hi - lo || 1
  const raw = span / 5
  const mag = 10 ** Math.floor(Math.log10(raw))
  const steps = [1, 2, 2.5, 5, 10].map((m) => m * mag).filter((s) => !integers || (s >= 1 && Number.isInteger(s)))
  const step = steps.find((s) => span / s <= 6) ?? Math.max(1, Math.ceil(raw))
  const out: number[] = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(6)))
  return out
}

const r = (v: number) => Math.round(v * 10) / 10
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
