// The run-time override tests, the same for every shared store: two app instances on one store
// (each its own Sluice, sharing nothing but the store) against a simulated provider.
import type { createSluice as CreateSluice, deepseek as Deepseek, OverrideEvent, Store } from '@sluice/core'
import type { startSimulator as StartSimulator } from '@sluice/simulator'

interface OverrideApi {
  describe(name: string, fn: () => void): void
  it(name: string, fn: () => Promise<void>, timeoutMs?: number): void
  expect(value: unknown): {
    toBe(v: unknown): void
    toEqual(v: unknown): void
    toMatchObject(v: unknown): void
    toBeLessThanOrEqual(n: number): void
    toBeUndefined(): void
    toBeGreaterThan(n: number): void
  }
}

export interface OverrideTestOptions {
  name: string
  /** A fresh store namespace for a test; every call gives a client of the same one. */
  store(test: string): () => Promise<Store>
  createSluice: typeof CreateSluice
  deepseek: typeof Deepseek
  startSimulator: typeof StartSimulator
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export function overrideTests(t: OverrideApi, o: OverrideTestOptions): void {
  t.describe(`${o.name}: run-time overrides, shared by two instances`, () => {
    t.it(
      'raising one user’s limit reaches the other instance within a second, and expires',
      async () => {
        const sim = await o.startSimulator({ profile: 'deepseek', latencyMs: { min: 1, max: 3 } })
        const client = o.store('limit')
        const make = async () =>
          o.createSluice({
            store: await client(),
            providers: [o.deepseek({ baseURL: sim.url, apiKey: 'sim' })],
            tiers: { free: { limits: { chat: { limit: 2, window: '1m' } } } },
            overrides: { refresh: '1s' },
            cache: { enabled: false },
          })
        const [a, b] = [await make(), await make()]
        const ask = (s: typeof a, n: number) =>
          s
            .chat(
              { model: 'deepseek-chat', messages: [{ role: 'user', content: `q${n}` }] },
              { userId: 'ana', tier: 'free', endpoint: 'chat' },
            )
            .then(
              () => 'ok',
              (e: { code?: string }) => e.code,
            )
        try {
          t.expect([await ask(b, 1), await ask(b, 2), await ask(b, 3)]).toEqual(['ok', 'ok', 'rate_limited'])
          const audit: OverrideEvent[] = []
          a.on('override:set', (e) => audit.push(e))
          const set = await a.overrides!.set(
            { userId: 'ana' },
            { limits: { chat: { limit: 5, window: '1m' } }, reason: 'support grant' },
            { ttl: '3s', by: 'support@example.com' },
          )
          t.expect(audit).toMatchObject([{ target: { userId: 'ana' }, by: 'support@example.com' }])
          t.expect(await b.overrides!.get({ userId: 'ana' })).toMatchObject({
            reason: 'support grant',
            expiresAt: set.expiresAt,
          })
          const setAt = Date.now()
          let outcome = await ask(b, 4)
          while (outcome !== 'ok' && Date.now() - setAt < 3_000) {
            await sleep(50)
            outcome = await ask(b, 5)
          }
          t.expect(outcome).toBe('ok')
          t.expect(Date.now() - setAt).toBeLessThanOrEqual(1_000 + 750) // within its refresh (and a loaded machine's call)
          // Expired: every instance is back to the tier's limit of 2 (ana has made 3 since the start).
          await sleep(Math.max(0, set.expiresAt - Date.now()) + 1_100)
          t.expect(await ask(b, 6)).toBe('rate_limited')
          t.expect(await a.overrides!.get({ userId: 'ana' })).toBeUndefined()
        } finally {
          await a.close()
          await b.close()
          await sim.close()
        }
      },
      20_000,
    )

    t.it(
      'a block and a bought budget apply on the other instance; a cleared block lifts',
      async () => {
        const sim = await o.startSimulator({ profile: 'deepseek', latencyMs: { min: 1, max: 3 } })
        const client = o.store('block')
        const make = async () =>
          o.createSluice({
            store: await client(),
            providers: [o.deepseek({ baseURL: sim.url, apiKey: 'sim' })],
            tiers: { free: { budget: { daily: 0 } } },
            overrides: { refresh: 200 },
            cache: { enabled: false },
          })
        const [a, b] = [await make(), await make()]
        const ask = (s: typeof a, userId: string) =>
          s
            .chat(
              { model: 'deepseek-chat', messages: [{ role: 'user', content: 'hi' }] },
              { userId, tier: 'free' },
            )
            .then(
              () => 'ok',
              (e: { code?: string }) => e.code,
            )
        try {
          t.expect(await ask(b, 'bo')).toBe('budget_exceeded')
          await a.overrides!.set({ userId: 'bo' }, { budget: { daily: 1 } }, { ttl: '1m' }) // bought credits
          await sleep(300)
          t.expect(await ask(b, 'bo')).toBe('ok')
          await a.overrides!.set({ userId: 'bo' }, { blocked: true, reason: 'abuse' }, { ttl: '1m' })
          await sleep(300)
          t.expect(await ask(b, 'bo')).toBe('forbidden')
          await a.overrides!.clear({ userId: 'bo' })
          await sleep(300)
          t.expect(await ask(b, 'bo')).toBe('budget_exceeded') // back to the tier's budget
        } finally {
          await a.close()
          await b.close()
          await sim.close()
        }
      },
      20_000,
    )
  })
}
