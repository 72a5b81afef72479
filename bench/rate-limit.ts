// Sluice's rate limiter on real Redis and PostgreSQL against rate-limiter-flexible on the same
// servers: per-call latency, throughput with 64 parallel callers, and exactness under a burst.
import { RateLimiter } from '@sluice/core'
import { postgresStore } from '@sluice/postgres'
import { redisStore } from '@sluice/redis'
import { Redis } from 'ioredis'
import pg from 'pg'
import { RateLimiterPostgres, RateLimiterRedis } from 'rate-limiter-flexible'
import { DATABASE_URL, ensureServices, REDIS_URL } from '../scripts/services.mjs'
import { measure, printTable, throughput } from './stats'

const CALLS = Number(process.env.BENCH_CALLS ?? 5_000)
const HOUR = 3_600
type Consume = (key: string) => Promise<boolean>

async function compare(
  backend: string,
  ours: Consume,
  theirs: Consume,
  oursBurst: Consume,
  theirsBurst: Consume,
) {
  const users = Array.from({ length: 1000 }, (_, i) => `user-${i}`)
  const a = await measure((i) => ours(users[Math.abs(i) % 1000]!), CALLS, 500)
  const b = await measure((i) => theirs(users[Math.abs(i) % 1000]!), CALLS, 500)
  // Decisions/s at 64 callers, in alternating rounds (the machine's noise hits both alike); medians.
  const rounds: [number, number][] = []
  for (let r = 0; r < 5; r++) {
    rounds.push([
      await throughput((i) => ours(users[i % 1000]!), CALLS * 2, 64),
      await throughput((i) => theirs(users[i % 1000]!), CALLS * 2, 64),
    ])
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const ta = median(rounds.map((r) => r[0]))
  const tb = median(rounds.map((r) => r[1]))
  printTable(`${backend}: one fixed-window check per call (${CALLS} sequential calls, 1,000 users)`, [
    ['sluice RateLimiter', a],
    ['rate-limiter-flexible', b],
  ])
  console.log(
    `ratio sluice / rate-limiter-flexible: p50 ${(a.p50 / b.p50).toFixed(2)}x, p99 ${(a.p99 / b.p99).toFixed(2)}x`,
  )
  console.log(
    `64 parallel callers (median of 5 alternating rounds): sluice ${Math.round(ta)} decisions/s, rate-limiter-flexible ${Math.round(tb)} decisions/s (${(ta / tb).toFixed(2)}x)`,
  )
  const burst = async (consume: Consume) =>
    (await Promise.all(Array.from({ length: 500 }, () => consume('burst')))).filter(Boolean).length
  console.log(
    `burst of 500 on one key, limit 100: sluice admitted ${await burst(oursBurst)}, rate-limiter-flexible ${await burst(theirsBurst)}`,
  )
}

export async function rateLimit(): Promise<void> {
  await ensureServices()
  const tag = `bench_${process.pid}`

  const redis = new Redis(REDIS_URL)
  const sluiceRedis = (limit: number) =>
    new RateLimiter({
      store: redisStore({ client: redis, prefix: `${tag}_${limit}` }),
      limits: { ask: { limit, window: '1h', algorithm: 'fixed-window' } },
    })
  const rlfRedis = (limit: number) =>
    new RateLimiterRedis({
      storeClient: redis,
      points: limit,
      duration: HOUR,
      keyPrefix: `${tag}_rlf_${limit}`,
    })
  const ours =
    (l: RateLimiter): Consume =>
    async (key) =>
      (await l.limit({ userId: key, endpoint: 'ask' })).allowed
  const theirs =
    (l: RateLimiterRedis | RateLimiterPostgres): Consume =>
    (key) =>
      l.consume(key).then(
        () => true,
        () => false,
      )
  await compare(
    'Redis',
    ours(sluiceRedis(1e9)),
    theirs(rlfRedis(1e9)),
    ours(sluiceRedis(100)),
    theirs(rlfRedis(100)),
  )
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${tag}*`, 'COUNT', 1000)
    if (keys.length > 0) await redis.del(...keys)
    cursor = next
  } while (cursor !== '0')
  await redis.quit()

  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 20 })
  const sluicePg = (limit: number) =>
    new RateLimiter({
      store: postgresStore({ pool, schema: `${tag}_${limit}` }),
      limits: { ask: { limit, window: '1h', algorithm: 'fixed-window' } },
    })
  const rlfPg = (limit: number) =>
    new Promise<RateLimiterPostgres>((resolve, reject) => {
      const limiter: RateLimiterPostgres = new RateLimiterPostgres(
        {
          storeClient: pool,
          points: limit,
          duration: HOUR,
          tableName: `${tag}_rlf_${limit}`,
          clearExpiredByTimeout: false,
        },
        (err?: unknown) => (err ? reject(err) : resolve(limiter)),
      )
    })
  await compare(
    'PostgreSQL',
    ours(sluicePg(1e9)),
    theirs(await rlfPg(1e9)),
    ours(sluicePg(100)),
    theirs(await rlfPg(100)),
  )
  for (const limit of [1e9, 100]) {
    await pool.query(`DROP SCHEMA IF EXISTS "${tag}_${limit}" CASCADE`)
    await pool.query(`DROP TABLE IF EXISTS "${tag}_rlf_${limit}"`)
  }
  await pool.end()
}
