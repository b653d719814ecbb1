import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Bun-only suites run under `bun test` (npm run test:bun), not vitest.
    exclude: ['test/bun/**', 'node_modules/**', 'dist/**'],
    // Bundles the dashboard's browser modules into the string module the app serves.
    globalSetup: ['test/helpers/dashboard-bundle.setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real daemons and servers per file: two cores, so keep the number of files in flight small.
    maxWorkers: 2,
  },
})
