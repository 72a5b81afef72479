// The fleet tests, the same for every shared store: two processes, each an app instance
// (createSluice) on one store, against simulators this process runs and counts.
import type { CostTracker, createSluice, Store } from '@sluice/core'
import type { Simulator, startSimulator } from '@sluice/simulator'
import { runTogether } from './processes'

interface Tally {
  ok: number
  fresh: number
  cached: number
  coalesced: number
  costs: number[]
  providers: Record<string, number>
  errors: Record<string, number>
  /** The distinct texts streamed (stream modes). */
  texts: string[]
}

interface FleetApi {
  describe(name: string, fn: () => void): void
  it(name: string, fn: () => Promise<void>, timeoutMs?: number): void
  expect(value: unknown): {
    toBe(v: unknown): void
    toEqual(v: unknown): void
    toBeLessThanOrEqual(n: number): void
    toBeGreaterThan(n: number): void
  }
  beforeAll(fn: () => Promise<void>): void
  afterAll(fn: () => Promise<void>): void
}

export interface FleetOptions {
  name: string
  /** The fixture that runs one instance: argv = namespace, mode, DeepSeek URL, Groq URL. */
  script: string
  env: NodeJS.ProcessEnv
  /** A fresh namespace (key prefix or schema) for one test. */
  namespace(test: string): string
  /** The same store as the children use, in this process, for checks. */
  store(namespace: string): Promise<Store> | Store
  costTracker(store: Store): CostTracker
  /** Passed in: these helpers live outside the packages and import none of them. */
  deps: { createSluice: typeof createSluice; startSimulator: typeof startSimulator }
}

export function fleetTests(t: FleetApi, o: FleetOptions): void {
  const { createSluice, startSimulator } = o.deps
  let ds: Simulator
  let gq: Simulator
  t.beforeAll(async () => {
    ds = await startSimulator({ profile: 'deepseek', latencyMs: { min: 100, max: 100 } })
    gq = await startSimulator({ profile: 'groq', latencyMs: { min: 1, max: 3 }, rpm: 0, tpm: 0 })
  })
  t.afterAll(async () => {
    await ds.close()
    await gq.close()
  })
  const run = (ns: string, mode: string, processes = 2, rounds = 1) =>
    runTogether<Tally>(
      o.script,
      Array.from({ length: processes }, () => [ns, mode, ds.url, gq.url]),
      o.env,
      rounds,
    )
  const sum = (tallies: Tally[], k: 'ok' | 'fresh' | 'cached' | 'coalesced') =>
    tallies.reduce((n, x) => n + x[k], 0)

  t.describe(`${o.name}: a fleet of two app instances`, () => {
    t.it(
      'an answer fetched in A is a cache hit in B; 40 identical calls across both make one upstream call',
      async () => {
        const ns = o.namespace('cache')
        const before = ds.stats.requests
        const [a] = await run(ns, 'cache-one', 1)
        const [b] = await run(ns, 'cache-one', 1)
        t.expect([a!.fresh, b!.cached]).toEqual([1, 1])
        t.expect(ds.stats.requests - before).toBe(1)
        const burst = await run(ns, 'cache-burst')
        t.expect(sum(burst, 'ok')).toBe(40)
        t.expect(sum(burst, 'fresh')).toBe(1)
        t.expect(ds.stats.requests - before).toBe(2)
      },
      60_000,
    )

    t.it(
      '40 identical streams across both instances make one upstream stream; every reader gets the same text',
      async () => {
        const before = ds.stats.requests
        const burst = await run(o.namespace('stream'), 'stream-burst')
        t.expect(sum(burst, 'ok')).toBe(40)
        t.expect(sum(burst, 'fresh')).toBe(1)
        t.expect(ds.stats.requests - before).toBe(1)
        t.expect(new Set(burst.flatMap((b) => b.texts)).size).toBe(1)
      },
      30_000,
    )

    t.it(
      '2 processes × 100 concurrent calls by one user: spend stays within the budget and one call',
      async () => {
        const ns = o.namespace('budget')
        const before = ds.stats.requests
        const tallies = await run(ns, 'budget')
        const ok = sum(tallies, 'ok')
        const refused = tallies.reduce((n, x) => n + (x.errors.budget_exceeded ?? 0), 0)
        t.expect(ok + refused).toBe(200)
        t.expect(ok).toBeGreaterThan(0)
        t.expect(refused).toBeGreaterThan(0)
        t.expect(ds.stats.requests - before).toBe(ok) // every admitted call was one upstream call
        const store = await o.store(ns)
        const spent = await o.costTracker(store).spend('spender')
        const oneCall = Math.max(...tallies.flatMap((x) => x.costs))
        t.expect(spent).toBeLessThanOrEqual(0.002 + oneCall)
        t.expect(spent).toBeGreaterThan(0)
      },
      60_000,
    )

    t.it(
      'primary down: once A opens its breaker B sends it nothing; after the reset one probe goes out fleet-wide',
      async () => {
        const ns = o.namespace('breaker')
        ds.setOutage(true)
        try {
          const [a] = await run(ns, 'breaker', 1)
          t.expect(a!.providers).toEqual({ groq: 1 }) // answered by the fallback
          const seen = ds.stats.requests
          const [b] = await run(ns, 'breaker', 1)
          t.expect(b!.ok).toBe(1)
          t.expect(ds.stats.requests).toBe(seen) // B never called the primary: the fleet's circuit is open
          ds.setOutage(false)
          await new Promise((r) => setTimeout(r, 1_700)) // past the reset timeout
          const probes = ds.stats.requests
          const burst = await run(ns, 'burst')
          t.expect(sum(burst, 'ok')).toBe(40)
          t.expect(ds.stats.requests - probes).toBe(1)
        } finally {
          ds.setOutage(undefined)
        }
      },
      60_000,
    )

    t.it(
      'stats() on either instance counts every request of the fleet after a flush',
      async () => {
        const ns = o.namespace('stats')
        const reports = (await run(ns, 'stats', 2, 2)) as unknown as {
          requestsTotal: number
          activeUsers: number
        }[]
        t.expect(reports.map((r) => r.requestsTotal)).toEqual([60, 60])
        t.expect(reports.map((r) => r.activeUsers)).toEqual([6, 6])
        const observer = createSluice({
          store: await o.store(ns),
          providers: [
            {
              name: 'x',
              models: ['m'],
              defaultModel: 'm',
              chat: async () => ({}) as never,
              stream: async function* () {},
            },
          ],
        })
        t.expect((await observer.stats()).requestsTotal).toBe(60)
        await observer.close()
      },
      60_000,
    )
  })
}
