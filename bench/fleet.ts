// What a call costs in store round trips on each store, and how fast a cached answer comes back:
// memory, Redis (ioredis) and PostgreSQL, with an instant provider so the store is what shows.
// A round trip is a wait on the store: calls issued together (the rate-limit check and the cache
// lookup) are one. Metric writes are buffered off the response path and not counted.
import { createSluice, memoryStore, type Store } from '@sluice/core'
import { postgresStore } from '@sluice/postgres'
import { redisStore } from '@sluice/redis'
import { Redis } from 'ioredis'
import pg from 'pg'
import { DATABASE_URL, ensureServices, REDIS_URL } from '../scripts/services.mjs'
import { instant } from './instant-provider'
import { measure, printTable } from './stats'

const CALLS = Number(process.env.BENCH_CALLS ?? 2_000)
const PORTS = ['rateLimit', 'cache', 'usage', 'breaker'] as const

/** Counts waves of store calls: a wave starts when a call begins while none is in flight. */
function counting(store: Store) {
  const c = { waves: 0, calls: 0, inFlight: 0 }
  const wrapped = Object.create(store) as Record<string, unknown>
  for (const port of PORTS) {
    const target = store[port] as unknown as Record<string, unknown> | undefined
    if (!target) continue
    const counted = Object.create(target) as Record<string, unknown>
    for (const name of Object.keys(target).concat(Object.keys(Object.getPrototypeOf(target) ?? {}))) {
      const fn = target[name]
      if (typeof fn !== 'function' || name === 'subscribe') continue
      counted[name] = (...args: unknown[]) => {
        if (c.inFlight === 0) c.waves++
        c.calls++
        c.inFlight++
        const done = () => {
          c.inFlight--
        }
        const result = (fn as (...a: unknown[]) => Promise<unknown>).apply(target, args)
        result.then(done, done)
        return result
      }
    }
    Object.defineProperty(wrapped, port, { value: counted, enumerable: true })
  }
  return { store: wrapped as unknown as Store, counts: c }
}

async function profile(name: string, make: () => Promise<Store> | Store) {
  const { store, counts } = counting(await make())
  const sluice = createSluice({
    store,
    providers: [instant],
    limits: { ask: { limit: 1e9, window: '1h' } },
    tiers: { free: { budget: { daily: 1e6 } } },
  })
  const ctx = { userId: 'u', tier: 'free', endpoint: 'ask' }
  const ask = (content: string) => ({
    model: 'deepseek-chat',
    messages: [{ role: 'user' as const, content }],
  })
  const trips = async (content: string) => {
    // What the last call left travelling (a settle, say) would hide this call's first wave.
    while (counts.inFlight > 0) await new Promise((r) => setTimeout(r, 1))
    counts.waves = 0
    counts.calls = 0
    await sluice.chat(ask(content), ctx)
    return { waves: counts.waves, calls: counts.calls }
  }
  let missWaves = 0
  let missCalls = 0
  const n = 50
  for (let i = 0; i < n; i++) {
    const t = await trips(`miss ${name} ${Date.now()} ${i}`)
    missWaves += t.waves
    missCalls += t.calls
  }
  await trips('the cached one') // fill it
  const hit = await trips('the cached one')
  const latency = await measure(() => sluice.chat(ask('the cached one'), ctx), CALLS, 200)
  await sluice.close()
  return { name, miss: { waves: missWaves / n, calls: missCalls / n }, hit, latency }
}

export async function fleet(): Promise<void> {
  await ensureServices()
  const tag = `bench_fleet_${process.pid}`
  const redis = new Redis(REDIS_URL)
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 })
  const results = [
    await profile('memory', () => memoryStore()),
    await profile('redis', () => redisStore({ client: redis, prefix: tag })),
    await profile('postgres', async () => {
      const store = postgresStore({ pool, schema: tag })
      await store.ready()
      return store
    }),
  ]
  console.log('\nStore round trips per call (a wave of calls issued together counts once)')
  console.log(
    `${'store'.padEnd(10)} ${'miss: trips'.padStart(12)} ${'miss: calls'.padStart(12)} ${'hit: trips'.padStart(11)} ${'hit: calls'.padStart(11)}`,
  )
  for (const r of results) {
    console.log(
      `${r.name.padEnd(10)} ${r.miss.waves.toFixed(1).padStart(12)} ${r.miss.calls.toFixed(1).padStart(12)} ${String(r.hit.waves).padStart(11)} ${String(r.hit.calls).padStart(11)}`,
    )
  }
  printTable(
    `A cached call, end to end (${CALLS} sequential calls)`,
    results.map((r) => [`sluice.chat cache hit, ${r.name}`, r.latency]),
  )
  const redisHit = results.find((r) => r.name === 'redis')!.hit.waves
  console.log(
    `Redis cache hit: ${redisHit} round trip${redisHit === 1 ? '' : 's'} (target: 1) ${redisHit === 1 ? 'met' : 'NOT met'}`,
  )
  for await (const keys of scanAll(redis, `${tag}:*`)) if (keys.length > 0) await redis.del(...keys)
  await redis.quit()
  await pool.query(`DROP SCHEMA IF EXISTS "${tag}" CASCADE`)
  await pool.end()
}

async function* scanAll(redis: Redis, match: string) {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 500)
    yield keys
    cursor = next
  } while (cursor !== '0')
}
