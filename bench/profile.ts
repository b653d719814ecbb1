/** How long and how big each bench runs: `short` (npm run bench, < 5 min) or `full` (--full). */
export interface Profile {
  name: 'short' | 'full'
  http: { connections: number; seconds: number; rounds: number; warmupSeconds: number }
  tail: { sizesMB: number[]; requests: number; fullFileMB: number }
  schedule: { ticks: number }
  capture: { megabytes: number }
  footprint: { idleSeconds: number; loadSeconds: number }
  startStop: { iterations: number }
  /** 7: how long the idle pipelines are sampled, and how many seconds of 50 runs due at once. */
  pipelines: { idleSeconds: number; ticks: number }
}

export const PROFILES: Record<Profile['name'], Profile> = {
  short: {
    name: 'short',
    http: { connections: 32, seconds: 2, rounds: 2, warmupSeconds: 0.5 },
    tail: { sizesMB: [1, 100, 1024], requests: 60, fullFileMB: 50 },
    schedule: { ticks: 15 },
    capture: { megabytes: 50 },
    footprint: { idleSeconds: 10, loadSeconds: 2 },
    startStop: { iterations: 3 },
    pipelines: { idleSeconds: 5, ticks: 20 },
  },
  full: {
    name: 'full',
    http: { connections: 32, seconds: 10, rounds: 2, warmupSeconds: 2 },
    tail: { sizesMB: [1, 100, 1024], requests: 300, fullFileMB: 50 },
    schedule: { ticks: 60 },
    capture: { megabytes: 200 },
    footprint: { idleSeconds: 60, loadSeconds: 5 },
    startStop: { iterations: 10 },
    pipelines: { idleSeconds: 20, ticks: 60 },
  },
}
