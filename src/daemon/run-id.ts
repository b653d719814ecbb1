/** Sortable, unique run ids: `20261128T195100Z-1a2b`. */
export function newRunId(at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  const rand = Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, '0')
  return `${stamp}-${rand}`
}
