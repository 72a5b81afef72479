import { storeConformance } from '@sluice/core/testing'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { deleteKeys } from '../../../scripts/redis-keys'
import { REDIS_URL } from '../../../scripts/services.mjs'
import { redisStore } from '../src'

const client = new Redis(REDIS_URL, { lazyConnect: false })
const prefixes: string[] = []

storeConformance(
  { describe, it, expect, afterAll },
  {
    name: 'redis',
    ports: ['rateLimit', 'cache', 'usage', 'queue', 'breaker', 'metrics'],
    makeStore: (prefix, options) => {
      prefixes.push(prefix)
      return redisStore({ client, prefix, jobRetention: options?.jobRetentionMs })
    },
  },
)

afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(client, `${prefix}:*`)
  await client.quit()
})
