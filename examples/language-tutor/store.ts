// The seed's split: PostgreSQL keeps the queue (agent_queue) and the usage (api_usage and the
// user_costs view); Redis keeps the cache, the rate limits, the shared breaker and the metrics.
import type { Store } from '@sluice/core'
import { postgresStore } from '@sluice/postgres'
import { redisStore } from '@sluice/redis'
import { Redis } from 'ioredis'

export interface Where {
  redisUrl: string
  databaseUrl: string
  /** Redis key prefix and PostgreSQL schema of this run. */
  name: string
}

export function tutorStore(w: Where): Store {
  const redis = new Redis(w.redisUrl)
  const fast = redisStore({ client: redis, prefix: w.name, quitOnClose: true })
  const durable = postgresStore({ connectionString: w.databaseUrl, schema: w.name })
  return {
    name: 'redis + postgres',
    rateLimit: fast.rateLimit!,
    cache: fast.cache!,
    breaker: fast.breaker!,
    metrics: fast.metrics!,
    queue: durable.queue!,
    usage: durable.usage!,
    async close() {
      await Promise.all([fast.close?.(), durable.close?.()])
    },
  }
}
