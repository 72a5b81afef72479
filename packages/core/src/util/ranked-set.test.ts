import { describe, expect, it } from 'vitest'
import { RankedSet } from './ranked-set'

describe('RankedSet', () => {
  it('ranks like a sorted list through 20,000 random inserts and deletes, ties by id', () => {
    const set = new RankedSet()
    const list: [number, string][] = []
    const cmp = (a: [number, string], b: [number, string]) =>
      a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)
    for (let i = 0; i < 20_000; i++) {
      if (list.length > 0 && Math.random() < 0.4) {
        const [k, id] = list.splice(Math.floor(Math.random() * list.length), 1)[0]!
        set.delete(k, id)
      } else {
        const key: [number, string] = [Math.floor(Math.random() * 100), `id${i}`]
        list.push(key)
        set.insert(...key)
      }
      if (i % 500 === 0) {
        const sorted = [...list].sort(cmp)
        expect(set.size).toBe(sorted.length)
        for (let j = 0; j < sorted.length; j += 37) expect(set.rank(...sorted[j]!)).toBe(j)
        expect(set.first()).toEqual(sorted[0] ? { k: sorted[0][0], id: sorted[0][1] } : undefined)
      }
    }
    set.delete(1_000, 'absent') // nothing happens
    expect(set.size).toBe(list.length)
  })
})
