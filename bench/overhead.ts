// What the Sluice chain adds to one call on the memory store — a cache miss and a cache hit, for
// chat and for streams — against its floor: building the call's cache key alone (canonical JSON
// + SHA-256 of the same request). The cases run interleaved, round after round, so the machine's
// drift hits them alike; each figure is the median of the rounds' p50s. Then the rate-limit step
// alone against rate-limiter-flexible's memory limiter.
import { type ChatRequest, createSluice, memoryStore, RateLimiter } from '@sluice/core'
import { RateLimiterMemory } from 'rate-limiter-flexible'
import { instant } from './instant-provider'
import { type Figures, measure, printTable } from './stats'

const CALLS = Number(process.env.BENCH_CALLS ?? 4_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)

const request = (i: number): ChatRequest => ({
  model: 'deepseek-chat',
  messages: [{ role: 'user', content: `question ${i}` }],
  max_tokens: 50,
})

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

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
  const ctx = (i: number) => ({ userId: users[Math.abs(i) % 1000]!, tier: 'free', endpoint: 'ask' })
  let fresh = 0 // every miss asks a question never asked before
  const cases: [string, (i: number) => Promise<unknown>][] = [
    ['provider called directly', (i) => instant.chat(request(i))],
    ['floor: the cache key alone', (i) => sluice.cache.key('ask', request(i), { userId: ctx(i).userId })],
    ['sluice.chat, cache miss (full chain)', (i) => sluice.chat(request(++fresh), ctx(i))],
    ['sluice.chat, cache hit', (i) => sluice.chat(request(0), ctx(i))],
    ['provider stream read directly', (i) => drain(instant.stream(request(i)))],
    ['sluice.stream, cache miss (full chain)', (i) => drain(sluice.stream(request(++fresh), ctx(i)))],
    ['sluice.stream, cache hit', (i) => drain(sluice.stream(request(0), ctx(i)))],
  ]
  const rounds = cases.map(() => [] as Figures[])
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, [, fn]] of cases.entries())
      rounds[k]!.push(await measure(fn, CALLS, r === 0 ? 2_000 : 200))
  }
  const figures = rounds.map((rs) => ({
    p50: median(rs.map((f) => f.p50)),
    p99: median(rs.map((f) => f.p99)),
    perSec: median(rs.map((f) => f.perSec)),
  }))
  printTable(
    `Chain overhead on the memory store (${ROUNDS} interleaved rounds × ${CALLS} sequential calls, instant provider; medians)`,
    cases.map(([name], k) => [name, figures[k]!]),
  )
  const [direct, floor, miss, hit, directStream, streamMiss, streamHit] = figures as [Figures, ...Figures[]]
  const added = (f: Figures, base: Figures) => f.p50 - base.p50
  console.log(`\nfloor (cache key alone), p50: ${floor!.p50.toFixed(1)} µs`)
  for (const [name, f, base, target] of [
    ['chat, miss', miss!, direct, 2.5],
    ['chat, hit', hit!, direct, 1.5],
    ['stream, miss', streamMiss!, directStream!, 2.5],
    ['stream, hit', streamHit!, directStream!, 1.5],
  ] as const) {
    const ratio = added(f, base) / floor!.p50
    console.log(
      `added per call (p50), ${name.padEnd(13)} ${added(f, base).toFixed(1).padStart(6)} µs = ${ratio.toFixed(2)}x the floor (target ≤ ${target}x: ${ratio <= target ? 'met' : 'MISSED'})`,
    )
  }

  const ours = new RateLimiter({ limits: { ask: { limit: 1e9, window: '1h', algorithm: 'fixed-window' } } })
  const theirs = new RateLimiterMemory({ points: 1e9, duration: 3600 })
  const sluiceRl = await measure(
    (i) => ours.limit({ userId: users[Math.abs(i) % 1000]!, endpoint: 'ask' }),
    20_000,
  )
  const rlf = await measure((i) => theirs.consume(users[Math.abs(i) % 1000]!), 20_000)
  printTable('Rate-limit check alone, memory (fixed window, 1,000 users)', [
    ['sluice RateLimiter.limit', sluiceRl],
    ['rate-limiter-flexible RateLimiterMemory', rlf],
  ])
  console.log(
    `\nratio sluice/rate-limiter-flexible (p50): ${(sluiceRl.p50 / rlf.p50).toFixed(2)}x; throughput ${(sluiceRl.perSec / rlf.perSec).toFixed(2)}x`,
  )
  await sluice.close()
}
