import { fileURLToPath } from 'node:url'
import { startSimulator } from '@sluice/simulator'
import { Redis } from 'ioredis'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { budgetTests } from '../../../scripts/budget-tests'
import { deleteKeys } from '../../../scripts/redis-keys'
import { REDIS_URL } from '../../../scripts/services.mjs'
import { testNamespaces } from '../../../scripts/test-namespaces'

const client = new Redis(REDIS_URL)
const spaces = testNamespaces(`t_budget_${process.pid}_${Date.now().toString(36)}`)
afterAll(async () => {
  for (const p of spaces.used) await deleteKeys(client, `${p}:*`)
  await client.quit()
})

budgetTests(
  { describe, it, expect, afterEach },
  {
    name: 'redis',
    script: fileURLToPath(new URL('./fixtures/budget.mjs', import.meta.url)),
    env: { ...process.env, REDIS_URL },
    namespace: spaces.namespace,
    startSimulator,
  },
)
