import { type Duration, guardStore, parseDuration, SluiceError, type Store } from '@sluice/core/adapter'
import { commandsFor, type RedisClient } from './client'
import { redisKey } from './keys'
import { redisBreaker } from './redis-breaker'
import { redisCache } from './redis-cache'
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
  /** Usage rows kept for reports (the newest, at most 40 days old; default 100,000). */
  maxUsageRows?: number
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
  return guardStore(
    {
      name: 'redis',
      rateLimit: redisRateLimit(client, keyFor, timeoutMs),
      cache: redisCache(client, keyFor, channelFor),
      queue: redisQueue(client, keyFor, channelFor, { retentionMs, retentionCount }),
      usage: redisUsage(client, keyFor, options.maxUsageRows ?? 100_000),
      breaker: redisBreaker(client, keyFor),
      metrics: redisMetrics(client, keyFor),
      async close() {
        await client.close()
        if (options.quitOnClose) await client.quit()
      },
    },
    { timeoutMs },
  )
}
