// The same overloaded workload against a provider at its quota (the simulator's Groq free tier,
// 30 requests / 6,000 tokens per window, the window shortened to WINDOW ms so a run takes seconds),
// from two app instances on one Redis, through: Sluice's provider capacity (nothing configured:
// the limits are learned from the headers), Sluice without it (today's reactive path: retries that
// honour Retry-After, the breaker), and bottleneck clustered on the same Redis (a reservoir of 30
// refreshed every window, the JavaScript library apps use for this). Printed: answers against what
// the quota allowed, the 429s the provider sent, and the wait by priority.
import { createSluice, groq, type Provider } from '@sluice/core'
import { redisStore } from '@sluice/redis'
import { type Simulator, startSimulator } from '@sluice/simulator'
import Bottleneck from 'bottleneck'
import { Redis } from 'ioredis'
import { ensureServices, REDIS_URL } from '../scripts/services.mjs'

const WINDOW = Number(process.env.BENCH_WINDOW_MS ?? 3_000)
const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 5)
const CALLERS = 40 // per instance; a quarter premium
const INSTANCES = 2
const model = 'llama-3.3-70b-versatile'

type Ask = (instance: number, user: string, premium: boolean, n: number) => Promise<void>
interface Result {
  answers: number
  /** Answers, and the provider's windows opened, by the end of the run (what came after is a tail). */
  inRun: { answers: number; windows: number }
  refused: Record<string, number>
  sim: Simulator['stats']
  wait: { premium: number[]; free: number[] }
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!
}

/** Every caller asks again as soon as it has its answer (or refusal), until the run's end. */
async function drive(sim: Simulator, make: (record: (premium: boolean, ms: number) => void) => Ask) {
  const result: Result = {
    answers: 0,
    inRun: { answers: 0, windows: 0 },
    refused: {},
    sim: sim.stats,
    wait: { premium: [], free: [] },
  }
  const ask = make((premium, ms) => {
    result.answers++
    result.wait[premium ? 'premium' : 'free'].push(ms)
  })
  const started = performance.now()
  const end = setTimeout(() => {
    result.inRun = { answers: result.answers, windows: sim.stats.windows }
  }, WINDOW * WINDOWS)
  await Promise.all(
    Array.from({ length: INSTANCES * CALLERS }, async (_, i) => {
      const instance = i % INSTANCES
      const premium = i % 4 === 0 // a quarter of the callers are premium
      for (let n = 0; performance.now() - started < WINDOW * WINDOWS; n++) {
        try {
          await ask(instance, `u${i}`, premium, n)
        } catch (error) {
          const code = (error as { code?: string }).code ?? 'error'
          const status = (error as { status?: number }).status
          const key = status ? `${code} ${status}` : code
          result.refused[key] = (result.refused[key] ?? 0) + 1
          await new Promise((r) => setTimeout(r, 50)) // a caller told to go away comes back soon after
        }
      }
    }),
  )
  clearTimeout(end)
  if (result.inRun.windows === 0) result.inRun = { answers: result.answers, windows: sim.stats.windows }
  return result
}

const question = (user: string, n: number) => ({
  model,
  messages: [{ role: 'user' as const, content: `${user} asks question ${n}` }],
  max_tokens: 100,
})

async function throughSluice(sim: Simulator, client: Redis, prefix: string, paced: boolean) {
  const sluices = Array.from({ length: INSTANCES }, () =>
    createSluice({
      store: redisStore({ client, prefix }),
      providers: [groq({ baseURL: sim.url, apiKey: 'sim' })],
      tiers: { free: { priority: 8 }, premium: { priority: 1 } },
      capacity: paced ? { window: WINDOW, maxWait: WINDOW * 2 } : { enabled: false },
      cache: { enabled: false },
    }),
  )
  const result = await drive(sim, (record) => async (instance, user, premium, n) => {
    const t = performance.now()
    await sluices[instance]!.chat(question(user, n), { userId: user, tier: premium ? 'premium' : 'free' })
    record(premium, performance.now() - t)
  })
  await Promise.all(sluices.map((s) => s.close()))
  return result
}

async function throughBottleneck(sim: Simulator, id: string) {
  const provider: Provider = groq({ baseURL: sim.url, apiKey: 'sim' })
  const url = new URL(REDIS_URL)
  const limiters = Array.from(
    { length: INSTANCES },
    () =>
      new Bottleneck({
        id,
        datastore: 'ioredis',
        clearDatastore: false,
        clientOptions: { host: url.hostname, port: Number(url.port || 6379) },
        reservoir: 30,
        reservoirRefreshAmount: 30,
        reservoirRefreshInterval: WINDOW,
      }),
  )
  const result = await drive(sim, (record) => async (instance, user, premium, n) => {
    const t = performance.now()
    await limiters[instance]!.schedule({ priority: premium ? 1 : 8, expiration: WINDOW * 2 }, () =>
      provider.chat(question(user, n)),
    )
    record(premium, performance.now() - t)
  })
  await Promise.all(limiters.map((l) => l.disconnect(false)))
  return result
}

export async function capacity(): Promise<void> {
  await ensureServices()
  const client = new Redis(REDIS_URL)
  const base = `bench_capacity_${process.pid}`
  const rows: [string, Result][] = []
  const contenders: [string, (sim: Simulator) => Promise<Result>][] = [
    ['Sluice, provider capacity (learned)', (s) => throughSluice(s, client, `${base}_paced`, true)],
    [
      'Sluice without it (reactive: retry, breaker)',
      (s) => throughSluice(s, client, `${base}_reactive`, false),
    ],
    ['bottleneck 2, clustered on Redis', (s) => throughBottleneck(s, `${base}_bottleneck`)],
  ]
  for (const [name, run] of contenders) {
    const sim = await startSimulator({ profile: 'groq', latencyMs: { min: 40, max: 120 }, windowMs: WINDOW })
    rows.push([name, await run(sim)])
    await sim.close()
  }
  for (const p of ['paced', 'reactive']) {
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${base}_${p}:*`, 'COUNT', 500)
      cursor = next
      for (const k of keys) await client.del(k)
    } while (cursor !== '0')
  }
  await client.quit()

  console.log(
    `\n${INSTANCES} instances × ${CALLERS} callers (a quarter premium) for ${WINDOWS} windows of ${WINDOW} ms at 30 requests / 6,000 tokens a window`,
  )
  console.log(
    `${'through'.padEnd(46)} ${'in run'.padStart(8)} ${'of quota'.padStart(9)} ${'429s'.padStart(6)} ${'429 %'.padStart(6)} ${'premium n: p50/p99 ms'.padStart(22)} ${'free n: p50/p99 ms'.padStart(19)}  refused`,
  )
  for (const [name, r] of rows) {
    // What the quota allowed in the run: 30 in each of its windows.
    const quota = 30 * WINDOWS
    const share = quota === 0 ? 0 : r.inRun.answers / quota
    const rate = r.sim.requests === 0 ? 0 : r.sim.rateLimited / r.sim.requests
    const w = (xs: number[]) => `${xs.length}: ${Math.round(pct(xs, 0.5))}/${Math.round(pct(xs, 0.99))}`
    console.log(
      `${name.padEnd(46)} ${String(r.inRun.answers).padStart(8)} ${`${(share * 100).toFixed(1)}%`.padStart(9)} ${String(r.sim.rateLimited).padStart(6)} ${`${(rate * 100).toFixed(1)}%`.padStart(6)} ${w(r.wait.premium).padStart(22)} ${w(r.wait.free).padStart(19)}  ${JSON.stringify(r.refused)}`,
    )
  }
  const [sluice, reactive, bottleneck] = rows.map(([, r]) => r)
  const ratio = (a: Result, b: Result) =>
    b.inRun.answers === 0 ? 'n/a' : (a.inRun.answers / b.inRun.answers).toFixed(2)
  console.log(
    `answers in the run: Sluice ${ratio(sluice!, reactive!)}× the reactive path, ${ratio(sluice!, bottleneck!)}× bottleneck; 429s: ${sluice!.sim.rateLimited} against ${reactive!.sim.rateLimited} and ${bottleneck!.sim.rateLimited}`,
  )
}
