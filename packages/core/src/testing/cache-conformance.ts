import type { CachePort } from '../store/cache-port'
import type { ConformanceApi } from './conformance-api'
import { sleep } from './conformance-api'

export function cacheConformance(t: ConformanceApi, name: string, port: () => Promise<CachePort>): void {
  t.describe(`${name}: cache port`, () => {
    t.it(
      'get / set / delete with TTL',
      async () => {
        const p = await port()
        t.expect(await p.get('x')).toBeUndefined()
        await p.set('x', 'v1', 60_000)
        t.expect(await p.get('x')).toBe('v1')
        await p.set('short', 'v', 1000)
        await sleep(1100)
        t.expect(await p.get('short')).toBeUndefined()
        t.expect(await p.delete('x')).toBe(true)
        t.expect(await p.get('x')).toBeUndefined()
      },
      10_000,
    )

    t.it('setIfAbsent lets exactly one of many concurrent callers win', async () => {
      const p = await port()
      const wins = await Promise.all(
        Array.from({ length: 50 }, (_, i) => p.setIfAbsent('lock', String(i), 60_000)),
      )
      t.expect(wins.filter(Boolean).length).toBe(1)
    })

    t.it(
      'a lock is renewed and released only by its owner',
      async () => {
        const p = await port()
        t.expect(await p.setIfAbsent('lock', 'me', 1000)).toBe(true)
        t.expect(await p.extendIf('lock', 'you', 60_000)).toBe(false)
        t.expect(await p.deleteIf('lock', 'you')).toBe(false)
        t.expect(await p.extendIf('lock', 'me', 60_000)).toBe(true)
        await sleep(1100) // renewed: still held past its first TTL
        t.expect(await p.get('lock')).toBe('me')
        t.expect(await p.deleteIf('lock', 'me')).toBe(true)
        t.expect(await p.get('lock')).toBeUndefined()
        t.expect(await p.extendIf('lock', 'me', 1000)).toBe(false) // gone: nothing to renew
      },
      10_000,
    )

    t.it('values and keys round-trip exactly: JSON, quotes, unicode, large values', async () => {
      const p = await port()
      const big = JSON.stringify({ text: 'é🙂"\\\n'.repeat(20_000) })
      await p.set("k:o'b", big, 60_000)
      t.expect(await p.get("k:o'b")).toBe(big)
      await p.set('k:{x}', 'braces', 60_000)
      t.expect(await p.get('k:{x}')).toBe('braces')
      t.expect(await p.get('k:x')).toBeUndefined()
    })

    t.it(
      'pushes reach every subscriber of the channel, and only them (where the store has pub/sub)',
      async () => {
        const p = await port()
        if (!p.subscribe || !p.publish) return // a store without push (REST): followers poll instead
        const got: string[] = []
        const other: string[] = []
        const off = p.subscribe('flights', (m) => got.push(m))
        const offOther = p.subscribe('elsewhere', (m) => other.push(m))
        // A subscription takes a moment to be live on a server (SUBSCRIBE, LISTEN): publish until heard.
        for (let i = 0; i < 100 && got.length === 0; i++) {
          await p.publish('flights', 'key:1')
          await sleep(50)
        }
        t.expect(got[0]).toBe('key:1')
        t.expect(other.length).toBe(0)
        off()
        offOther()
      },
      10_000,
    )

    t.it('deletePrefix treats the prefix as text, not a pattern', async () => {
      const p = await port()
      await p.set('a*b:1', '1', 60_000)
      await p.set('a?b:1', '2', 60_000)
      await p.set('a[b]:1', '3', 60_000)
      await p.set('axb:1', '4', 60_000)
      t.expect(await p.deletePrefix('a*b:')).toBe(1)
      t.expect(await p.deletePrefix('a[b]')).toBe(1)
      t.expect(await p.get('a?b:1')).toBe('2')
      t.expect(await p.get('axb:1')).toBe('4')
    })

    t.it('deletePrefix removes only keys under the prefix', async () => {
      const p = await port()
      await p.set('a:1', '1', 60_000)
      await p.set('a:2', '2', 60_000)
      await p.set('b:1', '3', 60_000)
      t.expect(await p.deletePrefix('a:')).toBe(2)
      t.expect(await p.get('b:1')).toBe('3')
    })
  })
}
