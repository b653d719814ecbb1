// Step 1: generates a CSV of sales orders (deterministic per run id, so reruns are comparable).
import { mkdirSync, writeFileSync } from 'node:fs'

const rows = Number(process.env.ROWS ?? 1000)
const outDir = process.env.OUT_DIR ?? 'out'
const seedText = process.env.PIPELINE_CRON_RUN_ID ?? 'manual'
let seed = [...seedText].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7)
const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32)

const regions = ['north', 'south', 'east', 'west']
const products = ['widget', 'gadget', 'gizmo', 'doohickey']
const lines = ['order_id,region,product,quantity,unit_price']
for (let i = 1; i <= rows; i++) {
  const region = regions[Math.floor(random() * regions.length)]
  const product = products[Math.floor(random() * products.length)]
  const quantity = 1 + Math.floor(random() * 20)
  const price = (5 + random() * 95).toFixed(2)
  lines.push(`${i},${region},${product},${quantity},${price}`)
}
mkdirSync(outDir, { recursive: true })
writeFileSync(`${outDir}/orders.csv`, lines.join('\n') + '\n')
console.log(`generated ${rows} orders into ${outDir}/orders.csv`)
