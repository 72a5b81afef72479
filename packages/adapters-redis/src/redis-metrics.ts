import type { MetricsPort } from '@sluice/core/adapter'
import type { RedisCommands } from './client'
import { metricsCountScript, metricsGetScript, metricsWriteScript } from './metrics-scripts'
import { runScript } from './scripts'

/**
 * The metrics port: counters (INCRBYFLOAT) and distinct sets (HyperLogLog) written by one
 * script per flush. Every metric key sits in one hash-tag slot, so a flush is one operation on
 * a Cluster too; PFCOUNT of several sets counts their union.
 */
export function redisMetrics(client: RedisCommands, keyFor: (key: string) => string): MetricsPort {
  const key = (name: string) => keyFor(`${name}:{metrics}`)
  return {
    async write({ counters, sets }) {
      if (counters.length === 0 && sets.length === 0) return
      const keys = [...counters.map((c) => key(c.name)), ...sets.map((s) => key(s.name))]
      const args: (string | number)[] = [counters.length]
      for (const c of counters) args.push(String(c.by), Math.ceil(c.ttlMs))
      for (const s of sets) args.push(Math.ceil(s.ttlMs), s.members.length, ...s.members)
      await runScript(client, metricsWriteScript, keys, args)
    },
    async get(names) {
      if (names.length === 0) return []
      const reply = (await runScript(client, metricsGetScript, names.map(key), [])) as unknown[]
      return reply.map((v) => Number(v))
    },
    async countDistinct(names) {
      return Number(await runScript(client, metricsCountScript, names.map(key), []))
    },
  }
}
