// 1,000,000 distinct users through the memory store, against rate-limiter-flexible's memory
// limiter: calls/s and heap per 100,000 users, and whether 100 users blocked at the start are
// still blocked at the end. Every user is on a one-hour window, so all of them stay live: the
// store's cap (100,000 keys) fills after the first 100,000 and must neither slow down nor forget.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { memoryStore, RateLimiter } from '@sluice/core'
import { RateLimiterMemory } from 'rate-limiter-flexible'

const USERS = Number(process.env.BENCH_USERS ?? 1_000_000)
const STEP = USERS / 10
const SENTINELS = 100
const HEAP_CAP_MB = 256 // the store's maps hold at most 100,000 keys each: far below this

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const heapMb = () => {
  gc()
  return process.memoryUsage().heapUsed / 1_048_576
}

interface Run {
  rates: number[]
  heaps: number[]
  forgotten: number
}

async function run(consume: (user: string) => Promise<boolean>): Promise<Run> {
  for (let s = 0; s < SENTINELS; s++) for (let i = 0; i < 5; i++) await consume(`sentinel-${s}`)
  const base = heapMb()
  const rates: number[] = []
  const heaps: number[] = []
  for (let from = 0; from < USERS; from += STEP) {
    const started = performance.now()
    for (let i = from; i < from + STEP; i++) await consume(`user-${i}`)
    rates.push((STEP / (performance.now() - started)) * 1000)
    heaps.push(heapMb() - base)
  }
  let forgotten = 0
  for (let s = 0; s < SENTINELS; s++) if (await consume(`sentinel-${s}`)) forgotten++
  return { rates, heaps, forgotten }
}

function print(name: string, r: Run): void {
  const k = (n: number) => `${Math.round(n / 1000)}k`
  console.log(`\n${name}`)
  console.log(`${'users'.padEnd(10)} ${'calls/s'.padStart(10)} ${'heap +MB'.padStart(10)}`)
  for (const [i, rate] of r.rates.entries()) {
    console.log(
      `${k((i + 1) * STEP).padEnd(10)} ${Math.round(rate).toString().padStart(10)} ${r.heaps[i]!.toFixed(1).padStart(10)}`,
    )
  }
  const ratio = r.rates[r.rates.length - 1]! / r.rates[0]!
  console.log(
    `calls/s at the end / at the start: ${ratio.toFixed(2)}x; heap growth at the end: ${r.heaps[r.heaps.length - 1]!.toFixed(1)} MB; blocked users let through again: ${r.forgotten} of ${SENTINELS}`,
  )
}

export async function memory(): Promise<void> {
  console.log(`${USERS.toLocaleString('en')} distinct users, one call each, on a 1h window of 5 calls`)
  const limiter = new RateLimiter({
    store: memoryStore(), // 100,000 keys at most per map
    limits: { ask: { limit: 5, window: '1h', algorithm: 'fixed-window' } },
  })
  const ours = await run(async (userId) => (await limiter.limit({ userId, endpoint: 'ask' })).allowed)
  print('sluice memoryStore (cap 100,000 keys; past it, new keys fall to the onStoreError policy)', ours)

  const rlf = new RateLimiterMemory({ points: 5, duration: 3600 })
  const theirs = await run((key) =>
    rlf.consume(key).then(
      () => true,
      () => false,
    ),
  )
  print('rate-limiter-flexible RateLimiterMemory (no cap)', theirs)

  const last = (r: Run) => r.rates[r.rates.length - 1]!
  console.log(
    `\nsluice / rate-limiter-flexible at the end: ${(last(ours) / last(theirs)).toFixed(2)}x calls/s, heap ${ours.heaps.at(-1)!.toFixed(1)} MB vs ${theirs.heaps.at(-1)!.toFixed(1)} MB`,
  )
  const problems = [
    last(ours) < ours.rates[0]! / 2 && 'sluice slowed down by more than 2x as users piled up',
    Math.max(...ours.heaps) > HEAP_CAP_MB && `sluice heap grew past ${HEAP_CAP_MB} MB`,
    ours.forgotten > 0 && `sluice forgot ${ours.forgotten} live limits`,
  ].filter(Boolean)
  if (problems.length > 0) {
    console.error(`memory bench FAILED: ${problems.join('; ')}`)
    process.exitCode = 1
  }
}
