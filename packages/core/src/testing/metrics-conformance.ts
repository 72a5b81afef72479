import type { MetricsPort } from '../store/metrics-port'
import type { ConformanceApi } from './conformance-api'
import { sleep } from './conformance-api'

export function metricsConformance(t: ConformanceApi, name: string, port: () => Promise<MetricsPort>): void {
  const batch = (counters: [string, number][] = [], sets: [string, string[]][] = [], ttlMs = 60_000) => ({
    counters: counters.map(([n, by]) => ({ name: n, by, ttlMs })),
    sets: sets.map(([n, members]) => ({ name: n, members, ttlMs })),
  })
  t.describe(`${name}: metrics port`, () => {
    t.it('counters add up under concurrent writes from many flushes', async () => {
      const p = await port()
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          p.write(
            batch([
              ['n', 1],
              ['m', i % 2],
            ]),
          ),
        ),
      )
      t.expect(await p.get(['n', 'm', 'missing'])).toEqual([100, 50, 0])
    })

    t.it(
      'a batch writes every counter and set it holds; sets count distinct members, across sets too',
      async () => {
        const p = await port()
        await p.write(
          batch(
            [
              ['a', 2],
              ['b', 3],
            ],
            [
              ['s1', ['x', 'y']],
              ['s2', ['y', 'z']],
            ],
          ),
        )
        await p.write(batch([['a', 1]], [['s1', ['x']]]))
        t.expect(await p.get(['a', 'b'])).toEqual([3, 3])
        t.expect(await p.countDistinct(['s1'])).toBe(2)
        t.expect(await p.countDistinct(['s1', 's2'])).toBe(3)
        t.expect(await p.countDistinct(['none'])).toBe(0)
        t.expect(await p.countDistinct([])).toBe(0)
      },
    )

    t.it(
      'counters and sets expire',
      async () => {
        const p = await port()
        await p.write(batch([['short', 1]], [['brief', ['u']]], 1000))
        t.expect(await p.get(['short'])).toEqual([1])
        await sleep(1200)
        t.expect(await p.get(['short'])).toEqual([0])
        t.expect(await p.countDistinct(['brief'])).toBe(0)
      },
      10_000,
    )

    t.it('names and members are opaque: separators, quotes and unicode stay apart', async () => {
      const p = await port()
      const names = ['a:b', 'a%3Ab', "o'b", 'ü', '{x}']
      await p.write(
        batch(
          names.map((n, i) => [n, i + 1] as [string, number]),
          [['who', ["o'b", 'ü', '{x}', 'a b']]],
        ),
      )
      t.expect(await p.get(names)).toEqual([1, 2, 3, 4, 5])
      t.expect(await p.countDistinct(['who'])).toBe(4)
    })
  })
}
