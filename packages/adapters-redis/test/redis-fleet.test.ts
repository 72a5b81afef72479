import { fileURLToPath } from 'node:url'
import { CostTracker, createSluice } from '@sluice/core'
import { startSimulator } from '@sluice/simulator'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fleetTests } from '../../../scripts/fleet-tests'
import { deleteKeys } from '../../../scripts/redis-keys'
import { REDIS_URL } from '../../../scripts/services.mjs'
import { redisStore } from '../src'

const client = new Redis(REDIS_URL)
const base = `t_fleet_${process.pid}_${Date.now().toString(36)}`
const prefixes: string[] = []
afterAll(async () => {
  for (const p of prefixes) await deleteKeys(client, `${p}:*`)
  await client.quit()
})

fleetTests(
  { describe, it, expect, beforeAll, afterAll },
  {
    name: 'redis',
    script: fileURLToPath(new URL('./fixtures/fleet.mjs', import.meta.url)),
    env: { ...process.env, REDIS_URL },
    namespace: (test) => {
      const p = `${base}_${test}`
      prefixes.push(p)
      return p
    },
    store: (prefix) => redisStore({ client, prefix }),
    costTracker: (store) => new CostTracker({ store, tiers: { free: { budget: { daily: 0.002 } } } }),
    deps: { createSluice, startSimulator },
  },
)
