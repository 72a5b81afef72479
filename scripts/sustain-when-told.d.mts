/** Types for sustain-when-told.mjs (plain ESM so child processes run it with bare `node`). */
export declare const ALGORITHMS: {
  fixed: 'fixed-window'
  sliding: 'sliding-window'
  log: 'sliding-log'
  bucket: 'token-bucket'
}
export declare function sustainedLimits(limit: number, window: string): Record<string, unknown>
export declare function sustainWhenTold(
  limiter: {
    limit(r: {
      userId: string
      endpoint: string
    }): Promise<{ allowed: boolean; resetAt: number; remaining: number }>
  },
  options: { durationMs: number; loops: number },
): Promise<void>
