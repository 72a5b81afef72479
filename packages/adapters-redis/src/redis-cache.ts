import type { CachePort } from '@sluice/core/adapter'
import { deleteIfScript, extendIfScript, getScript } from './cache-scripts'
import type { RedisCommands } from './client'
import { redisPattern } from './keys'
import { runScript, storeError } from './scripts'

/**
 * The cache port: GET / SET … PX (NX for locks) by key, owner-only renew and release by script,
 * prefix deletion by SCAN (never KEYS) on every node, and pub/sub on ioredis for single-flight
 * pushes (the Upstash REST client has none: followers poll).
 */
export function redisCache(
  client: RedisCommands,
  keyFor: (key: string) => string,
  channelFor: (channel: string) => string,
): CachePort {
  const safe = async <T>(send: () => Promise<T>): Promise<T> => {
    try {
      return await send()
    } catch (cause) {
      throw storeError(cause)
    }
  }
  const port: CachePort = {
    async get(key) {
      const v = await runScript(client, getScript, [keyFor(key)], [])
      return typeof v === 'string' && v.startsWith('=') ? v.slice(1) : undefined
    },
    async set(key, value, ttlMs) {
      await safe(() => client.set(keyFor(key), value, Math.max(1, Math.ceil(ttlMs)), false))
    },
    setIfAbsent: (key, value, ttlMs) =>
      safe(() => client.set(keyFor(key), value, Math.max(1, Math.ceil(ttlMs)), true)),
    async extendIf(key, value, ttlMs) {
      return (
        Number(
          await runScript(client, extendIfScript, [keyFor(key)], [value, Math.max(1, Math.ceil(ttlMs))]),
        ) === 1
      )
    },
    delete: async (key) => (await safe(() => client.del([keyFor(key)]))) > 0,
    async deleteIf(key, value) {
      return Number(await runScript(client, deleteIfScript, [keyFor(key)], [value])) === 1
    },
    async deletePrefix(prefix) {
      let n = 0
      await safe(async () => {
        for await (const keys of client.scan(redisPattern(keyFor(prefix)))) n += await client.del(keys)
      })
      return n
    },
    publish: (channel, message) => safe(() => client.publish(channelFor(channel), message)),
  }
  if (client.subscribe) {
    const subscribe = client.subscribe.bind(client)
    port.subscribe = (channel, listener) => subscribe(channelFor(channel), listener)
  }
  return port
}
