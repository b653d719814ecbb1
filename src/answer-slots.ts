/**
 * A fixed number of slots for answers that hold memory while their client reads them: a burst of
 * clients that never read costs at most `max` answers' buffers, and the rest are told to retry.
 */
export function createSlots(max: number) {
  let used = 0
  return {
    max,
    /** A release function (calling it again does nothing), or null when every slot is taken. */
    tryTake(): (() => void) | null {
      if (used >= max) return null
      used++
      let released = false
      return () => {
        if (released) return
        released = true
        used--
      }
    },
    get used() {
      return used
    },
  }
}

export type Slots = ReturnType<typeof createSlots>
