/** vitest global setup: the app imports the dashboard's bundle as a generated module; write it before any test imports src/. */
import { buildDashboard } from '../../scripts/build-dashboard.mjs'

export default async function setup(): Promise<void> {
  await buildDashboard()
}
