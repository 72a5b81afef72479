/** Types for fleet-scenarios.mjs (plain ESM so child processes run it with bare `node`). */
export declare function fleetScenario(deps: unknown, store: unknown, args: string[]): Promise<void>
