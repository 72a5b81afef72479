// The built core and Redis adapter, with the Upstash client, run in the edge runtime (the one
// Vercel's Edge Functions use): bundled as an edge bundler would (edge conditions, Node's `events`
// from its npm port, as edge runtimes provide `node:events`; nothing else of Node), then
// evaluated in an EdgeRuntime VM, whose fetch reaches the simulator and an Upstash REST front for
// the real Redis.
import { createRequire } from 'node:module'
import { startSimulator } from '@sluice/simulator'
import { EdgeRuntime } from 'edge-runtime'
import { build } from 'esbuild'
import { Redis as IORedis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { deleteKeys, scanKeys } from '../../../scripts/redis-keys'
import { REDIS_URL } from '../../../scripts/services.mjs'
import { startUpstashBridge } from './upstash-rest-bridge'

const prefix = `t_edge_${process.pid}`
const redis = new IORedis(REDIS_URL)
afterAll(async () => {
  await deleteKeys(redis, `${prefix}:*`)
  await redis.quit()
})

describe('the edge runtime', () => {
  it('runs a chat through the built packages with the Upstash client; the limit is kept in Redis', async () => {
    const events = createRequire(import.meta.url).resolve('events/')
    const bundle = await build({
      entryPoints: [new URL('./fixtures/edge-app.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      conditions: ['edge-light', 'worker', 'browser'],
      alias: { events, 'node:events': events },
      // Only tried where it exists (Node): the edge has Web Crypto.
      external: ['node:crypto'],
      logLevel: 'silent',
    })
    const code = bundle.outputFiles[0]!.text
    const bridge = await startUpstashBridge(REDIS_URL, 'edge-token')
    const sim = await startSimulator({ profile: 'deepseek', latencyMs: { min: 5, max: 5 } })
    try {
      const runtime = new EdgeRuntime({ initialCode: code })
      const args = JSON.stringify({ redisUrl: bridge.url, token: 'edge-token', simUrl: sim.url, prefix })
      const seen = (await runtime.evaluate(`runAtTheEdge(${args})`)) as string[]
      expect([...seen]).toEqual(['answered', 'cached', 'rate_limited'])
      expect(sim.stats.requests).toBe(1)
      // The state lives in Redis, where an ioredis client in Node reads it.
      const keys = await scanKeys(redis, `${prefix}:*`)
      expect(keys.length).toBeGreaterThan(0)
    } finally {
      await sim.close()
      await bridge.close()
    }
  }, 60_000)
})
