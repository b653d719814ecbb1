/**
 * The docs pages' static files (Swagger UI, ReDoc, a favicon). `src/` cannot read files, so a
 * runtime adapter serves their bytes through this port; the core keeps the allow-list, the
 * content types and the rewrite that keeps the pages off every CDN.
 */

/** Reads one allow-listed docs asset's bytes; null when it is missing. The core never passes a name outside `DOCS_ASSET_TYPES`. */
export interface DocsAssets {
  get(name: DocsAssetName): Promise<Uint8Array | string | null>
}

/** The only names the docs asset route serves, with their content types. */
export const DOCS_ASSET_TYPES = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'redoc.standalone.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
} as const

export type DocsAssetName = keyof typeof DOCS_ASSET_TYPES

export function isDocsAssetName(name: string): name is DocsAssetName {
  return Object.hasOwn(DOCS_ASSET_TYPES, name)
}

// ReDoc 2.5.4's footer always loads this logo from Redocly's CDN, with no option to turn it off.
const REDOC_CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg'
// An empty inline image: the footer keeps its layout and the page makes no outside request.
const EMPTY_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"

/**
 * The text served for a text asset: ReDoc's CDN logo becomes an inline image, and source-map
 * comments go (the maps are not served, so a browser's devtools would only log 404s).
 */
export function rewriteDocsAsset(name: DocsAssetName, text: string): string {
  let out = text.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n').replace(/\n?\/\*# sourceMappingURL=\S+\s*\*\/\s*$/, '\n')
  if (name === 'redoc.standalone.js') out = out.replaceAll(REDOC_CDN_LOGO, EMPTY_SVG)
  return out
}
