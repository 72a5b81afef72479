/** Types for services.mjs (plain ESM so it also runs with bare `node`). */
export declare const REDIS_URL: string
export declare const DATABASE_URL: string
export declare function ensureServices(): Promise<{
  redis: 'running' | 'started'
  postgres: 'running' | 'started'
}>
