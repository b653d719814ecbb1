/** Cluster run ids: sortable like the local ones, with 32 random bits (a gap of 10,000 slots is recorded at once). */
export function clusterRunId(at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  const rand = Math.floor(Math.random() * 0x1_0000_0000)
    .toString(16)
    .padStart(8, '0')
  return `${stamp}-${rand}`
}

/** The tick slot (ms) of a scheduler job: BullMQ names them `repeat:<scheduler>:<slot>`. */
export function slotOfJob(jobId: string | undefined): number | null {
  const m = /:(\d+)$/.exec(jobId ?? '')
  return m ? Number(m[1]) : null
}
