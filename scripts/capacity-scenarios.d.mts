/** Types for capacity-scenarios.mjs (plain ESM so child processes run it with bare `node`). */
export declare function capacityScenario(deps: unknown, store: unknown, args: string[]): Promise<void>
export declare const POOL: string[]
