/** Types of build-dashboard.mjs, for the TypeScript files that import it (tsup.config.ts, vitest's global setup). */
export declare const DASHBOARD_ENTRY: string
export declare const DASHBOARD_BUNDLE_MODULE: string
export declare function bundleDashboard(): Promise<string>
export declare function buildDashboard(): Promise<{ changed: boolean; bytes: number }>
