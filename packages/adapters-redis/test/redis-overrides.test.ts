import { createSluice, deepseek } from '@sluice/core'
import { startSimulator } from '@sluice/simulator'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { overrideTests } from '../../../scripts/override-tests'
import { deleteKeys } from '../../../scripts/redis-keys'
import { REDIS_URL } from '../../../scripts/services.mjs'
import { redisStore } from '../src'

const base = `t_overrides_${process.pid}_${Date.now().toString(36)}`
const clients: Redis[] = []
afterAll(async () => {
  const admin = new Redis(REDIS_URL)
  await deleteKeys(admin, `${base}*`)
  await admin.quit()
  await Promise.all(clients.map((c) => c.quit().catch(() => {})))
})

overrideTests(
  { describe, it, expect },
  {
    name: 'redis',
    // Each instance its own connection: they share the server and nothing else.
    store: (test) => async () => {
      const client = new Redis(REDIS_URL)
      clients.push(client)
      return redisStore({ client, prefix: `${base}_${test}` })
    },
    createSluice,
    deepseek,
    startSimulator,
  },
)
