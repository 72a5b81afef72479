import {
  type Duration,
  durationOrOff,
  guardStore,
  parseDuration,
  SluiceError,
  type Store,
} from '@sluice/core/adapter'
import { commandsFor, type RedisClient } from './client'
import { redisKey } from './keys'
import { redisBreaker } from './redis-breaker'
import { redisCache } from './redis-cache'
import { type RedisHousekeeping, startRedisHousekeeping } from './redis-housekeeping'
import { redisMetrics } from './redis-metrics'
import { redisQueue } from './redis-queue'
import { redisRateLimit } from './redis-rate-limit'
import { redisUsage } from './redis-usage'

export interface RedisStoreOptions {
  /**
   * An ioredis client or cluster (TCP), or an @upstash/redis client (REST, for serverless and
   * edge). The app owns it: Sluice does not close it unless `quitOnClose`.
   */
  client: RedisClient
  /** Namespace for every key, so several apps or test runs can share one Redis. */
  prefix?: string
  quitOnClose?: boolean
  /**
   * How long one store call may take (default '1s'). Past it the call fails with
   * store_unavailable and the port's policy applies: rate limits open or closed as configured.
   */
  timeout?: Duration
  /**
   * Usage rows kept for reports (default 100,000): past nine tenths of it, or past
   * `usageRollupAfter`, the oldest roll up into daily totals; beyond it (or 40 days) they go.
   */
  maxUsageRows?: number
  /**
   * Usage rows older than this roll up into daily totals per user, endpoint, tier, provider,
   * model and cached, which reports read beside the rows (kept 400 days). Default '35d'; false:
   * rows are only trimmed, as before.
   */
  usageRollupAfter?: Duration | false
  /** How often one instance of the fleet rolls usage rows up (default '1m'; false: never). */
  housekeeping?: Duration | false
  /** How long finished jobs (and their results) stay readable (default '1h'). */
  jobRetention?: Duration
  /** How many finished jobs stay readable at most, the oldest going first (default 10,000). */
  jobRetentionCount?: number
}

const PREFIX = /^[A-Za-z0-9_.-]{1,64}$/

/**
 * A Redis store. Keys are `prefix:{key}`, or `prefix:{slot}:rest` for keys that name a slot
 * (see `redisKey`), so Redis Cluster keeps the keys a script touches together on one slot.
 * Ports: rateLimit, cache, usage, queue, breaker, metrics.
 */
export function redisStore(options: RedisStoreOptions): Store {
  const client = commandsFor(options?.client)
  const prefix = options.prefix ?? 'sluice'
  if (!PREFIX.test(prefix)) {
    throw new SluiceError('invalid_config', 'redisStore: prefix: letters, digits, _ . - only (1–64 chars)', {
      path: 'redisStore.prefix',
    })
  }
  const timeoutMs = parseDuration(options.timeout ?? '1s', 'redisStore.timeout')
  if (timeoutMs < 1) {
    throw new SluiceError('invalid_config', 'redisStore.timeout: must be longer than 0ms', {
      path: 'redisStore.timeout',
    })
  }
  const keyFor = (key: string) => redisKey(prefix, key)
  const channelFor = (channel: string) => `${prefix}:${channel}`
  const retentionMs = parseDuration(options.jobRetention ?? '1h', 'redisStore.jobRetention')
  const retentionCount = options.jobRetentionCount ?? 10_000
  if (!Number.isInteger(retentionCount) || retentionCount < 0) {
    throw new SluiceError('invalid_config', 'redisStore.jobRetentionCount: must be a whole number ≥ 0', {
      path: 'redisStore.jobRetentionCount',
    })
  }
  const maxRows = options.maxUsageRows ?? 100_000
  let housekeeping: RedisHousekeeping | undefined
  const usage = redisUsage(client, keyFor, maxRows, () => housekeeping?.relieve())
  const rollupMs = durationOrOff(options.usageRollupAfter, '35d', 'redisStore.usageRollupAfter')
  const everyMs = durationOrOff(options.housekeeping, '1m', 'redisStore.housekeeping', true)
  if (everyMs !== undefined && rollupMs !== undefined)
    housekeeping = startRedisHousekeeping(client, keyFor, usage.keys, { everyMs, ageMs: rollupMs, maxRows })
  return guardStore(
    {
      name: 'redis',
      rateLimit: redisRateLimit(client, keyFor, timeoutMs),
      cache: redisCache(client, keyFor, channelFor),
      queue: redisQueue(client, keyFor, channelFor, { retentionMs, retentionCount }),
      usage,
      breaker: redisBreaker(client, keyFor),
      metrics: redisMetrics(client, keyFor),
      async close() {
        housekeeping?.stop()
        await client.close()
        if (options.quitOnClose) await client.quit()
      },
    },
    { timeoutMs },
  )
}
