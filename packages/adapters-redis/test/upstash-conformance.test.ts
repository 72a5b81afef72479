import { storeConformance } from '@sluice/core/testing'
import { Redis as Upstash } from '@upstash/redis'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys } from '../../../scripts/redis-keys'
import { REDIS_URL } from '../../../scripts/services.mjs'
import { redisStore } from '../src'
import { startUpstashBridge } from './upstash-rest-bridge'

// The same conformance suite, through the @upstash/redis REST client (serverless / edge).
let bridge: Awaited<ReturnType<typeof startUpstashBridge>>
let upstash: Upstash
const prefixes: string[] = []

beforeAll(async () => {
  bridge = await startUpstashBridge(REDIS_URL, 'test-token')
  upstash = new Upstash({ url: bridge.url, token: 'test-token', enableTelemetry: false })
})

storeConformance(
  { describe, it, expect, afterAll },
  {
    name: 'redis via @upstash/redis',
    ports: ['rateLimit', 'cache', 'usage', 'queue', 'breaker', 'metrics'],
    makeStore: (prefix, options) => {
      prefixes.push(prefix)
      return redisStore({ client: upstash, prefix, jobRetention: options?.jobRetentionMs })
    },
  },
)

describe('redisStore with @upstash/redis', () => {
  it('keeps its state in the same Redis, readable by an ioredis client', async () => {
    const prefix = `t_upstash_raw_${process.pid}`
    prefixes.push(prefix)
    const store = redisStore({ client: upstash, prefix })
    await store.rateLimit!.consume('k', 2, { algorithm: 'fixed-window', limit: 5, windowMs: 60_000 })
    const io = new Redis(REDIS_URL)
    expect((await io.get(`${prefix}:{k}`))?.split(' ')[1]).toBe('2')
    await io.quit()
  })

  it('refuses a client that is neither ioredis nor @upstash/redis', () => {
    expect(() => redisStore({ client: { evalsha: () => 1 } as never })).toThrowError(
      expect.objectContaining({ code: 'invalid_config', path: 'redisStore.client' }),
    )
  })
})

afterAll(async () => {
  const io = new Redis(REDIS_URL)
  for (const prefix of prefixes) await deleteKeys(io, `${prefix}:*`)
  await io.quit()
  await bridge.close()
})
