// Step 2: checks every row of the data set; a bad row fails the step (exit 1) and so the run.
import { readFileSync } from 'node:fs'

const outDir = process.env.OUT_DIR ?? 'out'
const [header, ...rows] = readFileSync(`${outDir}/orders.csv`, 'utf8').trim().split('\n')
if (header !== 'order_id,region,product,quantity,unit_price') {
  console.error(`unexpected header: ${header}`)
  process.exit(1)
}
let bad = 0
for (const [n, row] of rows.entries()) {
  const [id, region, product, quantity, price] = row.split(',')
  const ok = /^\d+$/.test(id) && region && product && Number(quantity) > 0 && Number(price) > 0
  if (!ok) {
    bad++
    console.error(`row ${n + 2} is invalid: ${row}`)
  }
}
if (bad > 0) process.exit(1)
console.log(`validated ${rows.length} rows: all good`)
