import { fileURLToPath } from 'node:url'
import { CostTracker, createSluice, deepseek, QueueClient } from '@sluice/core'
import { startSimulator } from '@sluice/simulator'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { crashTest, expectCrashReport } from '../../../scripts/queue-crash'
import { queuePushTests } from '../../../scripts/queue-push'
import { deleteKeys } from '../../../scripts/redis-keys'
import { REDIS_URL } from '../../../scripts/services.mjs'
import { redisStore } from '../src'

const client = new Redis(REDIS_URL)
const base = `t_queue_${process.pid}_${Date.now().toString(36)}`
afterAll(async () => {
  await deleteKeys(client, `${base}*`)
  await client.quit()
})

describe('redis queue across processes', () => {
  it('crash test: 3 workers, 10,000 jobs, one worker SIGKILLed every second and restarted', async () => {
    const prefix = `${base}_crash`
    const report = await crashTest({
      script: fileURLToPath(new URL('./fixtures/queue-worker.mjs', import.meta.url)),
      env: { ...process.env, REDIS_URL },
      namespace: prefix,
      store: redisStore({ client, prefix, jobRetentionCount: 100_000 }),
      QueueClient,
    })
    expectCrashReport('redis', report, expect)
  }, 200_000)
})

queuePushTests(
  { describe, it, expect, beforeAll, afterAll },
  {
    name: 'redis',
    script: fileURLToPath(new URL('./fixtures/queue-worker.mjs', import.meta.url)),
    env: { ...process.env, REDIS_URL },
    namespace: (test) => `${base}_${test}`,
    store: (prefix) => redisStore({ client, prefix }),
    deps: { QueueClient, CostTracker, createSluice, deepseek, startSimulator },
  },
)
