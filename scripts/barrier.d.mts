/** Types for barrier.mjs (plain ESM so child processes run it with bare `node`). */
export declare function barrier(): Promise<string>
