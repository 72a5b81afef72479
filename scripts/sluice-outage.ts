// A createSluice app under steady load while its store dies and comes back (a server the test
// started itself): what every call did, when, and how long it took.
import type { createSluice, deepseek, Sluice, Store } from '@sluice/core'
import type { startSimulator } from '@sluice/simulator'

export interface CallRecord {
  at: number
  ms: number
  user: 'free' | 'premium'
  phase: 'before' | 'down' | 'after'
  outcome: string
  cached: boolean
}

const QUESTIONS = ['Translate: good morning', 'Translate: thank you', 'Translate: see you soon']

/**
 * Keeps `callers` loops calling for the whole run: free users (with a budget) and premium users
 * (without) in turn, a few questions that repeat so the cache has work. Calls `down()` after
 * `downAtMs` and `up()` after `upAtMs`; records every call.
 */
export async function loadThroughOutage(
  sluice: Sluice,
  o: {
    callers: number
    durationMs: number
    downAtMs: number
    upAtMs: number
    down: () => Promise<void> | void
    up: () => Promise<void>
  },
): Promise<CallRecord[]> {
  const records: CallRecord[] = []
  const start = Date.now()
  let phase: CallRecord['phase'] = 'before'
  const outage = (async () => {
    await new Promise((r) => setTimeout(r, o.downAtMs))
    await o.down()
    phase = 'down'
    await new Promise((r) => setTimeout(r, Math.max(0, o.upAtMs - (Date.now() - start))))
    await o.up()
    phase = 'after'
  })()
  let n = 0
  await Promise.all(
    Array.from({ length: o.callers }, async () => {
      while (Date.now() - start < o.durationMs) {
        const i = n++
        const user = i % 2 === 0 ? 'free' : 'premium'
        const began = Date.now()
        const seenPhase = phase
        let outcome = 'ok'
        let cached = false
        try {
          const res = await sluice.chat(
            {
              model: 'deepseek-chat',
              messages: [{ role: 'user', content: QUESTIONS[i % QUESTIONS.length]! }],
            },
            { userId: `${user}-${i % 5}`, tier: user, endpoint: 'ask' },
          )
          cached = res.sluice.cached
        } catch (error) {
          outcome = (error as { code?: string }).code ?? 'internal'
        }
        records.push({ at: began - start, ms: Date.now() - began, user, phase: seenPhase, outcome, cached })
        await new Promise((r) => setTimeout(r, 5))
      }
    }),
  )
  await outage
  return records
}

/** The outcomes of some calls, counted by code. */
export function outcomes(records: readonly CallRecord[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of records) out[r.outcome] = (out[r.outcome] ?? 0) + 1
  return out
}

type Expect = (value: unknown) => {
  toBe(v: unknown): void
  toEqual(v: unknown): void
  toBeLessThan(n: number): void
  toBeGreaterThan(n: number): void
}

/**
 * The whole outage check, the same for every backend: a createSluice app on `store` under load
 * while `down()` kills its server and `up()` brings it back; then each port's policy, no hung
 * call, and recovery by itself. Deps are passed in: these helpers import no package.
 */
export async function checkSluiceThroughOutage(
  expect: Expect,
  deps: {
    createSluice: typeof createSluice
    deepseek: typeof deepseek
    startSimulator: typeof startSimulator
  },
  o: { store: Store; timeoutMs: number; down: () => Promise<void> | void; up: () => Promise<void> },
): Promise<void> {
  const sim = await deps.startSimulator({ profile: 'deepseek', latencyMs: { min: 2, max: 5 } })
  const limits = { ask: { limit: 100_000, window: '1m' as const } }
  const sluice = deps.createSluice({
    store: o.store,
    providers: [deps.deepseek({ baseURL: sim.url })],
    tiers: { free: { budget: { daily: 10 }, limits }, premium: { limits } },
  })
  const records = await loadThroughOutage(sluice, {
    callers: 6,
    durationMs: 6_500,
    downAtMs: 1_000,
    upAtMs: 2_500,
    down: o.down,
    up: o.up,
  })
  // No call hung on the dead store: a handful of store calls a request, each bounded.
  expect(Math.max(...records.map((r) => r.ms))).toBeLessThan(6 * o.timeoutMs + 1_500)
  const down = records.filter((r) => r.phase === 'down')
  expect(down.length).toBeGreaterThan(0)
  // Limits open, cache bypassed, metrics dropped: users without a budget are still answered.
  const premium = down.filter((r) => r.user === 'premium')
  expect(outcomes(premium)).toEqual({ ok: premium.length })
  // Budgets fail closed: a user with a budget is refused while it cannot be checked.
  expect(Object.keys(outcomes(down.filter((r) => r.user === 'free')))).toEqual(['store_unavailable'])
  // It recovers by itself: the last seconds are all answered, with cache hits again.
  const late = records.filter((r) => r.phase === 'after' && r.at > 5_000)
  expect(late.length).toBeGreaterThan(0)
  expect(outcomes(late)).toEqual({ ok: late.length })
  expect(late.some((r) => r.cached)).toBe(true)
  const stats = await sluice.stats()
  expect(stats.metricsDropped).toBeGreaterThan(0)
  expect(stats.requestsTotal).toBeGreaterThan(0)
  await sluice.close()
  await sim.close()
}
