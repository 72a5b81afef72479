import { describe, expect, expectTypeOf, it } from 'vitest'
import { memoryStore } from '../memory/memory-store'
import { RateLimiter } from '../rate-limit/rate-limiter'
import type { RateLimitPort } from './rate-limit-port'
import type { PortName, Store } from './store'
import { guardStore, type PortOf, STORE_CALLS, type StoreCallsOf } from './store-guard'

/** A store whose backend can be made to hang (frozen) or fail (killed), and answer late. */
function flakyStore() {
  const state = { mode: 'up' as 'up' | 'frozen' | 'down', calls: 0, hung: [] as (() => void)[] }
  const rateLimit: RateLimitPort = {
    async consume(_key, _cost, rule) {
      state.calls++
      if (state.mode === 'down') throw new Error('ECONNREFUSED')
      if (state.mode === 'frozen') {
        // Answers only when thawed — and then with an error nobody is waiting for any more.
        await new Promise<void>((resolve) => state.hung.push(resolve))
        throw new Error('late answer')
      }
      return { allowed: true, limit: rule.limit, remaining: rule.limit - 1, resetAt: 0, retryAfterMs: 0 }
    },
    consumeAll: async (items) => Promise.all(items.map((i) => rateLimit.consume(i.key, i.cost, i.rule))),
    peek: async () => {
      throw new Error('unused')
    },
    reset: async () => {},
  }
  const store: Store = { name: 'flaky', rateLimit }
  return { store, state }
}

describe('guardStore', () => {
  it('a frozen store answers store_unavailable at the timeout, then fails fast, then recovers', async () => {
    let now = 0
    const { store, state } = flakyStore()
    const unhandled: unknown[] = []
    const onUnhandled = (e: unknown) => unhandled.push(e)
    process.on('unhandledRejection', onUnhandled)
    const guarded = guardStore(store, { timeoutMs: 20, failFastAfter: 3, cooldownMs: 1000, now: () => now })
    const rule = { algorithm: 'fixed-window' as const, limit: 5, windowMs: 60_000 }
    state.mode = 'frozen'
    for (let i = 0; i < 3; i++) {
      await expect(guarded.rateLimit!.consume('k', 1, rule)).rejects.toMatchObject({
        code: 'store_unavailable',
        details: { reason: 'timeout' },
      })
    }
    // Three timeouts in a row: calls fail at once and nothing more is sent to the frozen server.
    const sent = state.calls
    for (let i = 0; i < 10; i++) {
      await expect(guarded.rateLimit!.consume('k', 1, rule)).rejects.toMatchObject({
        details: { reason: 'failing_fast' },
      })
    }
    expect(state.calls).toBe(sent)
    for (const wake of state.hung.splice(0)) wake() // the server thaws; its late answers are dropped
    state.mode = 'up'
    now += 1001 // after the cooldown one probe goes through, and it succeeds
    expect((await guarded.rateLimit!.consume('k', 1, rule)).allowed).toBe(true)
    expect((await guarded.rateLimit!.consume('k', 1, rule)).allowed).toBe(true)
    await new Promise((r) => setTimeout(r, 10))
    process.off('unhandledRejection', onUnhandled)
    expect(unhandled).toEqual([])
  })

  it("the limiter's policy applies at the timeout: open admits through its insurance, closed refuses", async () => {
    const { store, state } = flakyStore()
    state.mode = 'frozen'
    const limits = { ask: { limit: 2, window: '1m' as const } }
    const slow = guardStore(store, { timeoutMs: 20 })
    const open = new RateLimiter({ store: slow, limits, onStoreError: 'open' })
    const decisions = []
    for (let i = 0; i < 3; i++) decisions.push((await open.limit({ userId: 'u', endpoint: 'ask' })).allowed)
    expect(decisions).toEqual([true, true, false]) // the in-process insurance still limits
    const frozen = flakyStore()
    frozen.state.mode = 'frozen'
    const closed = new RateLimiter({
      store: guardStore(frozen.store, { timeoutMs: 20 }),
      limits,
      onStoreError: 'closed',
    })
    await expect(closed.limit({ userId: 'u', endpoint: 'ask' })).rejects.toMatchObject({
      code: 'store_unavailable',
    })
    for (const wake of [...state.hung.splice(0), ...frozen.state.hung.splice(0)]) wake()
  })

  it('every store call of every port is guarded: a port method left out fails this test', () => {
    // At compile time: each port method that answers with a promise is in STORE_CALLS.
    type Unlisted = { [P in PortName]: Exclude<StoreCallsOf<PortOf<P>>, (typeof STORE_CALLS)[P][number]> }
    expectTypeOf<Unlisted>().toEqualTypeOf<{
      rateLimit: never
      cache: never
      usage: never
      queue: never
      breaker: never
      metrics: never
    }>()
    // At run time: every method the reference store implements is wrapped, but the listeners.
    const memory = memoryStore()
    const ports = Object.keys(STORE_CALLS) as PortName[]
    const shared: Store = { name: 'shared', ...Object.fromEntries(ports.map((p) => [p, memory[p]])) }
    const guarded = guardStore(shared)
    const listeners = new Set(['onAvailable', 'onFinished', 'subscribe'])
    const unguarded: string[] = []
    for (const p of ports) {
      const raw = shared[p] as unknown as Record<string, unknown>
      const wrapped = guarded[p] as unknown as Record<string, unknown>
      for (const [name, fn] of Object.entries(raw)) {
        if (typeof fn !== 'function' || listeners.has(name)) continue
        if (wrapped[name] === fn) unguarded.push(`${p}.${name}`)
      }
    }
    expect(unguarded).toEqual([])
  })

  it('leaves in-process stores alone and guards a store once', () => {
    const { store } = flakyStore()
    const once = guardStore(store)
    expect(guardStore(once)).toBe(once)
    expect(guardStore(store)).toBe(once) // one guard per store: one failure count for all its users
    const local = { name: 'memory', local: true }
    expect(guardStore(local)).toBe(local)
    expect(once.name).toBe('flaky')
  })
})
