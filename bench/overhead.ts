// What the Sluice chain adds to one call on the memory store, against calling an instant
// provider directly; and the rate-limit step alone against rate-limiter-flexible's memory limiter.
import { type ChatRequest, createSluice, memoryStore, RateLimiter } from '@sluice/core'
import { RateLimiterMemory } from 'rate-limiter-flexible'
import { instant } from './instant-provider'
import { measure, printTable } from './stats'

const CALLS = Number(process.env.BENCH_CALLS ?? 20_000)

const request = (i: number): ChatRequest => ({
  model: 'deepseek-chat',
  messages: [{ role: 'user', content: `question ${i}` }],
  max_tokens: 50,
})

export async function overhead(): Promise<void> {
  const sluice = createSluice({
    store: memoryStore(),
    providers: [instant],
    tiers: {
      free: {
        limits: { ask: { limit: 1e9, window: '1h' } },
        dailyTotal: 1e9,
        budget: { daily: 1e6, monthly: 1e7 },
      },
    },
    cache: { ttl: { ask: '1h' } },
  })
  const users = Array.from({ length: 1000 }, (_, i) => `user-${i}`)
  const direct = await measure((i) => instant.chat(request(i)), CALLS)
  // Every call a cache miss: the full chain (metrics, rate limit, budget reserve/settle, cache lookup and store, resilience).
  const miss = await measure(
    (i) => sluice.chat(request(i), { userId: users[Math.abs(i) % 1000]!, tier: 'free', endpoint: 'ask' }),
    CALLS,
  )
  // Every call a cache hit: what a repeated question costs.
  const hit = await measure(
    () => sluice.chat(request(0), { userId: 'user-1', tier: 'free', endpoint: 'ask' }),
    CALLS,
  )

  const ours = new RateLimiter({ limits: { ask: { limit: 1e9, window: '1h', algorithm: 'fixed-window' } } })
  const theirs = new RateLimiterMemory({ points: 1e9, duration: 3600 })
  const sluiceRl = await measure(
    (i) => ours.limit({ userId: users[Math.abs(i) % 1000]!, endpoint: 'ask' }),
    CALLS,
  )
  const rlf = await measure((i) => theirs.consume(users[Math.abs(i) % 1000]!), CALLS)

  printTable(`Chain overhead on the memory store (${CALLS} sequential calls, instant provider)`, [
    ['provider called directly', direct],
    ['sluice.chat, cache miss (full chain)', miss],
    ['sluice.chat, cache hit', hit],
  ])
  const overheadP50 = miss.p50 - direct.p50
  console.log(
    `\nadded per call (p50): ${overheadP50.toFixed(1)} µs (target ≤ 50 µs: ${overheadP50 <= 50 ? 'met' : 'MISSED'})`,
  )
  console.log(`added per call (p99): ${(miss.p99 - direct.p99).toFixed(1)} µs`)

  printTable('Rate-limit check alone, memory (fixed window, 1,000 users)', [
    ['sluice RateLimiter.limit', sluiceRl],
    ['rate-limiter-flexible RateLimiterMemory', rlf],
  ])
  console.log(
    `\nratio sluice/rate-limiter-flexible (p50): ${(sluiceRl.p50 / rlf.p50).toFixed(2)}x; throughput ${(sluiceRl.perSec / rlf.perSec).toFixed(2)}x`,
  )
  await sluice.close()
}
