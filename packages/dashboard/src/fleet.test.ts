// On a shared store the dashboard shows the fleet: two app instances on one Redis, the page
// mounted on one of them counts the calls both served.
import { createSluice, deepseek } from '@sluice/core'
import { redisStore } from '@sluice/redis'
import { startSimulator } from '@sluice/simulator'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { deleteKeys } from '../../../scripts/redis-keys'
import { REDIS_URL } from '../../../scripts/services.mjs'
import { dashboard } from './dashboard'
import type { Snapshot } from './snapshot'

const prefix = `t_dash_${process.pid}`
const redis = new Redis(REDIS_URL)
afterAll(async () => {
  await deleteKeys(redis, `${prefix}:*`)
  await redis.quit()
})

describe('the dashboard on a shared store', () => {
  it("shows the whole fleet's requests, users and spend, from either instance", async () => {
    const sim = await startSimulator({ profile: 'deepseek', latencyMs: { min: 5, max: 5 } })
    const make = () =>
      createSluice({
        store: redisStore({ client: redis, prefix }),
        providers: [deepseek({ baseURL: sim.url, apiKey: 'sim' })],
        tiers: { free: { budget: { daily: 1 } } },
      })
    const [a, b] = [make(), make()]
    try {
      const ask = (content: string) => ({
        model: 'deepseek-chat',
        messages: [{ role: 'user' as const, content }],
      })
      for (let i = 0; i < 3; i++) await a.chat(ask(`from a ${i}`), { userId: 'ana', tier: 'free' })
      for (let i = 0; i < 2; i++) await b.chat(ask(`from b ${i}`), { userId: 'ben', tier: 'free' })
      await b.monitor.flush() // instances write their counts off the response path, every second
      const handle = dashboard({ sluice: a, authorize: () => true })
      const res = await handle(new Request('http://app/sluice/stats.json'))
      const s = (await res!.json()) as Snapshot
      expect(s.requestsTotal).toBe(5)
      expect(s.activeUsers).toBe(2)
      const spent = (await a.cost.spend('ana')) + (await a.cost.spend('ben'))
      expect(Math.abs(s.spendTodayUsd - spent)).toBeLessThan(1e-12)
      expect(s.tiers.find((t) => t.tier === 'free')?.spentUsd).toBeCloseTo(spent, 12)
    } finally {
      await a.close()
      await b.close()
      await sim.close()
    }
  })
})
