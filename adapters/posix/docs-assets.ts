import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { DocsAssetName, DocsAssets } from '../../src/docs/assets.js'

// Each allow-listed name maps to a fixed file of an installed package; no path comes from a request.
const FILES: Record<DocsAssetName, [pkg: string, file: string]> = {
  'swagger-ui.css': ['swagger-ui-dist', 'swagger-ui.css'],
  'swagger-ui-bundle.js': ['swagger-ui-dist', 'swagger-ui-bundle.js'],
  'favicon-32x32.png': ['swagger-ui-dist', 'favicon-32x32.png'],
  'favicon-16x16.png': ['swagger-ui-dist', 'favicon-16x16.png'],
  'redoc.standalone.js': ['redoc', 'bundles/redoc.standalone.js'],
}

/** Reads the docs pages' files from the installed swagger-ui-dist and redoc packages. */
export function createNodeDocsAssets(): DocsAssets {
  const require = createRequire(import.meta.url)
  const docsAssets: DocsAssets = {
    async get(name) {
      const entry = FILES[name]
      if (!entry) return null
      const [pkg, file] = entry
      try {
        return await readFile(join(dirname(require.resolve(`${pkg}/package.json`)), file))
      } catch {
        return null
      }
    },
  }
  return docsAssets
}
