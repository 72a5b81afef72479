// The store conformance suite against a Redis Cluster of three masters the test starts itself:
// every script's keys share a hash tag, so each runs on one slot; scans visit every master;
// pub/sub wake-ups and finish pushes cross nodes.
import { storeConformance } from '@sluice/core/testing'
import { Cluster } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { startOwnRedisCluster } from '../../../scripts/own-redis-cluster'
import { redisStore } from '../src'

const cluster = await startOwnRedisCluster()
const client = new Cluster(cluster.nodes)

describe('the test cluster', () => {
  it('has three masters sharing the 16,384 slots', async () => {
    expect(client.nodes('master').length).toBe(3)
    const slots = (await client.cluster('SLOTS')) as [number, number][]
    expect(slots.reduce((n, [from, to]) => n + to - from + 1, 0)).toBe(16_384)
  })

  it("one store's keys spread over every master, and read back through the cluster client", async () => {
    const store = redisStore({ client, prefix: 'spread' })
    for (let i = 0; i < 60; i++) await store.cache!.set(`entry-${i}`, `value ${i}`, 60_000)
    const perNode = await Promise.all(client.nodes('master').map((n) => n.dbsize()))
    expect(perNode.every((n) => n > 0)).toBe(true)
    expect(await store.cache!.get('entry-42')).toBe('value 42')
    expect(await store.cache!.deletePrefix('entry-')).toBe(60) // a scan on every master
  })
})

storeConformance(
  { describe, it, expect, afterAll },
  {
    name: 'redis-cluster',
    ports: ['rateLimit', 'cache', 'usage', 'queue', 'breaker', 'metrics'],
    makeStore: (prefix, options) => redisStore({ client, prefix, jobRetention: options?.jobRetentionMs }),
  },
)

afterAll(async () => {
  await client.quit()
  await cluster.stop()
})
