// Bundled from ./client/ by scripts/build-dashboard.mjs (git-ignored; written before every build and test run).
import { DASHBOARD_JS } from './client-bundle.generated.js'
import { DASHBOARD_CSS } from './styles.js'

export interface DashboardAsset {
  body: string
  type: string
  /** A content hash: the ETag, and the `?v=` of the page's URLs, so a new build is never stale. */
  hash: string
}

/** The dashboard's own files, all served by the app: no CDN, no web font, no outside request. */
export const DASHBOARD_ASSETS = {
  'dashboard.js': asset(DASHBOARD_JS, 'text/javascript; charset=utf-8'),
  'dashboard.css': asset(DASHBOARD_CSS, 'text/css; charset=utf-8'),
  'dashboard-icon.svg': asset(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="14" fill="#0550ae"/>' +
      '<path d="M16 8v8l6 4" stroke="#fff" stroke-width="3" stroke-linecap="round" fill="none"/></svg>',
    'image/svg+xml',
  ),
} satisfies Record<string, DashboardAsset>

export type DashboardAssetName = keyof typeof DASHBOARD_ASSETS

export function isDashboardAssetName(name: string): name is DashboardAssetName {
  return Object.hasOwn(DASHBOARD_ASSETS, name)
}

/** The relative URL the page uses for an asset (relative, so any mount prefix works). */
export function assetUrl(name: DashboardAssetName): string {
  return `./assets/${name}?v=${DASHBOARD_ASSETS[name].hash}`
}

function asset(body: string, type: string): DashboardAsset {
  return { body, type, hash: fnv1a(body) }
}

// FNV-1a (32-bit) and the length: synchronous (Web Crypto's digest is async), enough to bust caches.
function fnv1a(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return (h >>> 0).toString(16).padStart(8, '0') + text.length.toString(16)
}
