import type { BreakerPort, BreakerState } from '@sluice/core/adapter'
import { breakerSetScript } from './breaker-scripts'
import { getScript } from './cache-scripts'
import type { RedisCommands } from './client'
import { runScript } from './scripts'

const KEEP_MS = 86_400_000

/** The breaker port: one string per breaker, "state since version", changed by compare-and-set in Lua. */
export function redisBreaker(client: RedisCommands, keyFor: (key: string) => string): BreakerPort {
  return {
    async get(name) {
      const v = await runScript(client, getScript, [keyFor(name)], []) // "state since version", read as the cache reads
      if (typeof v !== 'string' || !v.startsWith('=')) return undefined
      const [state, since, version] = v.slice(1).split(' ')
      return { state: state as BreakerState['state'], since: Number(since), version: Number(version) }
    },
    async compareAndSet(name, expectedVersion, next) {
      const args = [expectedVersion, next.state, String(next.since), KEEP_MS]
      return Number(await runScript(client, breakerSetScript, [keyFor(name)], args)) === 1
    },
  }
}
