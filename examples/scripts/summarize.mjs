// Step 3: writes revenue per region as JSON and prints it.
import { readFileSync, writeFileSync } from 'node:fs'

const outDir = process.env.OUT_DIR ?? 'out'
const [, ...rows] = readFileSync(`${outDir}/orders.csv`, 'utf8').trim().split('\n')
const revenue = {}
for (const row of rows) {
  const [, region, , quantity, price] = row.split(',')
  revenue[region] = (revenue[region] ?? 0) + Number(quantity) * Number(price)
}
const summary = Object.fromEntries(Object.entries(revenue).sort().map(([k, v]) => [k, Math.round(v * 100) / 100]))
writeFileSync(`${outDir}/summary.json`, JSON.stringify({ orders: rows.length, revenue: summary }, null, 2) + '\n')
for (const [region, total] of Object.entries(summary)) console.log(`${region.padEnd(6)} ${total.toFixed(2)}`)
console.log(`summary written to ${outDir}/summary.json`)
