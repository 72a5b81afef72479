import type { BreakerPort } from '../store/breaker-port'
import type { ConformanceApi } from './conformance-api'

export function breakerConformance(t: ConformanceApi, name: string, port: () => Promise<BreakerPort>): void {
  t.describe(`${name}: breaker port`, () => {
    t.it('compare-and-set: exactly one of many concurrent writers wins', async () => {
      const p = await port()
      const wins = await Promise.all(
        Array.from({ length: 20 }, () => p.compareAndSet('prov', 0, { state: 'open', since: Date.now() })),
      )
      t.expect(wins.filter(Boolean).length).toBe(1)
      const state = await p.get('prov')
      t.expect(state?.state).toBe('open')
      t.expect(state?.version).toBe(1)
      t.expect(await p.compareAndSet('prov', 0, { state: 'closed', since: Date.now() })).toBe(false)
      t.expect(await p.compareAndSet('prov', 1, { state: 'half-open', since: Date.now() })).toBe(true)
    })

    t.it('keeps state and since exactly; every write moves the version on by one', async () => {
      const p = await port()
      t.expect(await p.get('none')).toBeUndefined()
      const since = 1_790_000_000_123
      t.expect(await p.compareAndSet('b:{x}', 0, { state: 'open', since })).toBe(true)
      t.expect(await p.get('b:{x}')).toEqual({ state: 'open', since, version: 1 })
      t.expect(await p.compareAndSet('b:{x}', 1, { state: 'half-open', since: since + 1 })).toBe(true)
      t.expect(await p.compareAndSet('b:{x}', 2, { state: 'closed', since: since + 2 })).toBe(true)
      t.expect(await p.get('b:{x}')).toEqual({ state: 'closed', since: since + 2, version: 3 })
      t.expect(await p.compareAndSet('b:{x}', 2, { state: 'open', since })).toBe(false) // stale
      t.expect(await p.get("o'b:{x}")).toBeUndefined() // names are opaque
    })

    t.it('one half-open probe: of many instances seeing the same open state, one moves it on', async () => {
      const p = await port()
      await p.compareAndSet('probe', 0, { state: 'open', since: 1 })
      const seen = (await p.get('probe'))!
      const wins = await Promise.all(
        Array.from({ length: 30 }, () =>
          p.compareAndSet('probe', seen.version, { state: 'half-open', since: 2 }),
        ),
      )
      t.expect(wins.filter(Boolean).length).toBe(1)
    })
  })
}
