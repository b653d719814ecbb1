/** `counted(1, 'step')` → "1 step", `counted(3, 'step')` → "3 steps": no "1 steps" in a line someone reads. */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`
}
