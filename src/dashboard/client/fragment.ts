/**
 * The pipeline on screen lives in the URL fragment (`#pipeline=orders`), so a reload, a bookmark
 * or a shared link opens the same one. Pure: tested under Node.
 */

/** The pipeline a fragment names, or null (`#`, no fragment, or anything else). */
export function pipelineFromFragment(hash: string): string | null {
  const name = new URLSearchParams(hash.replace(/^#/, '')).get('pipeline')
  return name || null
}

/** True for a fragment that says what to show (none, `#`, `#pipeline=…`); false for an in-page anchor such as `#logs-h`. */
export function isViewFragment(hash: string): boolean {
  const h = hash.replace(/^#/, '')
  return h === '' || new URLSearchParams(h).has('pipeline')
}

/** The fragment for a pipeline; `#` (the list) for none. */
export function fragmentFor(name: string | null): string {
  return name ? `#pipeline=${encodeURIComponent(name)}` : '#'
}

/** Where a pipeline's routes live. Every pipeline, `default` included, answers under /api/pipelines/{name}. */
export function pipelineBase(name: string): string {
  return `./api/pipelines/${encodeURIComponent(name)}`
}
