import { defineConfig } from 'tsup'
import { buildDashboard } from './scripts/build-dashboard.mjs'

// The dashboard's script reaches the app as a generated string module: bundle it first, so
// `tsup` alone never builds a stale one.
await buildDashboard()

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    node: 'adapters/node/index.ts',
    client: 'src/client.ts',
    cli: 'adapters/node/cli.ts',
    daemon: 'adapters/node/daemon-main.ts',
    // Bun's entry reaches Bun through the global, so it builds (and imports) under Node too; the
    // daemon it launches is its own entry, found next to it (adapters/bun/launcher.ts).
    bun: 'adapters/bun/index.ts',
    'bun-daemon': 'adapters/bun/daemon.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  // tsup injects baseUrl, which TS 6 deprecates (TS5101) unless told to ignore it.
  // TSUP_NO_DTS=1 skips the slow declaration build (handy for a private test build).
  dts: process.env.TSUP_NO_DTS ? false : { entry: { index: 'src/index.ts', node: 'adapters/node/index.ts', client: 'src/client.ts', bun: 'adapters/bun/index.ts' }, compilerOptions: { ignoreDeprecations: '6.0' } },
  clean: true,
  sourcemap: true,
  splitting: true,
})
