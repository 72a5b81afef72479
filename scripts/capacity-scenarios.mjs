// Child side of the capacity tests: one app instance (createSluice on a shared store) per process,
// against a simulated provider the parent runs and counts. argv after the store's own: mode,
// provider URL, then the mode's numbers. Prints one JSON line last.
import { barrier } from './barrier.mjs'

/** The key pool of the 'pool' mode (the simulator accepts these, each with its own limits). */
export const POOL = ['sim-pool-key-1', 'sim-pool-key-2', 'sim-pool-key-3']

const median = (xs) => (xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)])

export async function capacityScenario({ createSluice, groq, deepseek }, store, [mode, url, ...nums]) {
  const [callers, runMs, windowMs, maxWaitMs, leaseMs] = nums.map(Number)
  const slow = mode === 'slots' || mode === 'slots-killed'
  const sluice = createSluice({
    store,
    providers: [
      slow
        ? deepseek({ baseURL: url, apiKey: 'sim' })
        : mode === 'pool'
          ? groq({ baseURL: url, apiKeys: POOL })
          : groq({ baseURL: url, apiKey: 'sim' }),
    ],
    tiers: { free: { priority: 8 }, premium: { priority: 1 } },
    retry: { retries: 2, minTimeout: 50, maxTimeout: 200 },
    // Nothing of the provider's limits is configured: they are learned. Only the window is
    // shortened, as the simulator's is, so the test needs no minutes; concurrency is configured.
    capacity: {
      window: windowMs,
      maxWait: maxWaitMs,
      ...(slow ? { providers: { deepseek: { concurrency: 8 } }, lease: leaseMs } : {}),
    },
    cache: { enabled: false },
  })
  const model = slow ? 'deepseek-chat' : 'llama-3.3-70b-versatile'
  const out = { ok: 0, errors: {}, waits: { free: [], premium: [] }, users: {}, retryAfter: [], revoked: [] }
  sluice.on('key:revoked', ({ key }) => out.revoked.push(key))
  let measuring = mode !== 'priority'
  const ask = async (user, tier, n) => {
    const t0 = performance.now()
    try {
      await sluice.chat(
        { model, messages: [{ role: 'user', content: `${user} asks question ${n}` }], max_tokens: 150 },
        { userId: user, tier, endpoint: 'ask' },
      )
      out.ok++
      if (measuring) out.users[user] = (out.users[user] ?? 0) + 1 // answered under a full provider
      if (measuring) out.waits[tier].push(performance.now() - t0)
    } catch (error) {
      if (measuring) out.waits[tier].push(performance.now() - t0) // a refusal waited too
      const code = error?.code ?? 'internal'
      out.errors[code] = (out.errors[code] ?? 0) + 1
      if (error?.retryAfterMs !== undefined) out.retryAfter.push(error.retryAfterMs)
    }
  }
  const tierOf = (i) => (mode === 'priority' && i % 2 === 0 ? 'premium' : 'free')
  if (mode === 'priority') {
    // A first round fills the provider's window; the waits are measured once it is full.
    await barrier()
    await Promise.all(Array.from({ length: callers }, (_, i) => ask(`u${process.pid}-${i}`, tierOf(i), -1)))
    measuring = true
  }
  await barrier()
  const started = performance.now()
  if (mode === 'slots-killed') {
    // Takes every slot with calls that outlast the test, and waits to be killed holding them.
    for (let i = 0; i < 8; i++) ask(`k${process.pid}-${i}`, 'free', i)
    await new Promise((r) => setTimeout(r, 60_000))
  }
  await Promise.all(
    Array.from({ length: callers }, async (_, i) => {
      const tier = tierOf(i)
      const user = `u${process.pid}-${i}`
      // Each caller asks at least once, then again until the run ends.
      for (let n = 0; n === 0 || performance.now() - started < runMs; n++) await ask(user, tier, n)
    }),
  )
  out.waits = { free: median(out.waits.free), premium: median(out.waits.premium) }
  out.capacity = (await sluice.stats()).capacity
  out.breakers = sluice.agent.breakerStates()
  await sluice.close()
  console.log(JSON.stringify(out))
}
