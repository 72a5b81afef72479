import { z } from 'zod'
import { durationSchema } from '../config/duration-schema'
import { parseOptions } from '../config/parse-options'
import type { FullStore } from '../store/store'
import { memoryBreaker } from './memory-breaker'
import { memoryCache } from './memory-cache'
import { memoryMetrics } from './memory-metrics'
import { memoryQueue } from './memory-queue'
import { memoryRateLimit } from './memory-rate-limit'
import { memoryUsage } from './memory-usage'

const schema = z.object({
  /**
   * Cap on each map. Cache entries and metrics past it go least recently used first. Rate-limit
   * windows and budget periods are never dropped while they are in force: expired ones make room;
   * when every slot holds live state, a new key is refused with `store_unavailable` (reason
   * `memory_full`) and the failure policy applies (rate limits: `onStoreError`; budgets: closed).
   * It counts keys, not users: a user with a daily and a monthly budget holds two budget keys.
   */
  maxKeys: z.number().int().positive().default(100_000),
  /** Usage rows kept for reports. */
  maxUsageRows: z.number().int().positive().default(50_000),
  /** Cap on unfinished queue jobs. */
  maxJobs: z.number().int().positive().default(100_000),
  /** How long finished jobs stay readable. */
  jobRetention: durationSchema.prefault('1h'),
  /** How many finished jobs stay readable at most (the oldest go first). */
  jobRetentionCount: z.number().int().positive().default(10_000),
  /** Clock, for tests. */
  now: z.custom<() => number>((v) => typeof v === 'function').default(() => Date.now),
})

export type MemoryStoreOptions = z.input<typeof schema>

/**
 * The in-process reference store: bounded, fast, per process. Each port is built the first time
 * it is used, so a primitive that needs one port (a RateLimiter on its own) holds only that one.
 */
export function memoryStore(options: MemoryStoreOptions = {}): FullStore {
  const o = parseOptions(schema, options, 'memoryStore')
  const store = { name: 'memory', local: true, async close() {} } as FullStore
  const lazy = <P extends keyof FullStore>(port: P, make: () => FullStore[P]) => {
    let built: FullStore[P] | undefined
    Object.defineProperty(store, port, { enumerable: true, get: () => (built ??= make()) })
  }
  lazy('rateLimit', () => memoryRateLimit(o.maxKeys, o.now))
  lazy('cache', () => memoryCache(o.maxKeys, o.now))
  lazy('usage', () => memoryUsage(o.maxKeys, o.maxUsageRows, o.now))
  lazy('queue', () =>
    memoryQueue(
      { maxJobs: o.maxJobs, retentionMs: o.jobRetention, retentionCount: o.jobRetentionCount },
      o.now,
    ),
  )
  lazy('breaker', () => memoryBreaker())
  lazy('metrics', () => memoryMetrics(o.maxKeys, o.now))
  return store
}
