import { describe, expect, it } from 'vitest'
import { canonicalJson } from './canonical-json'
import { parseDuration, tryParseDuration } from './duration'
import { sha256Hex } from './hash'
import { keyOf } from './keys'
import { BoundedMap } from './lru'

describe('durations', () => {
  it('parses strings and milliseconds, never bare seconds', () => {
    expect(parseDuration('60s')).toBe(60_000)
    expect(parseDuration('1m')).toBe(60_000)
    expect(parseDuration('24h')).toBe(86_400_000)
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration(1500)).toBe(1500)
    expect(tryParseDuration('60')).toBeUndefined()
    expect(tryParseDuration('1 minute')).toBeUndefined()
    expect(tryParseDuration(-1)).toBeUndefined()
    expect(() => parseDuration('soon' as never, 'cache.ttl')).toThrowError(
      expect.objectContaining({ code: 'invalid_config', path: 'cache.ttl' }),
    )
  })
})

describe('keys and hashing', () => {
  it('canonical JSON ignores key order at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: 2 } })).toBe(
      canonicalJson({ a: { c: 2, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    )
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}')
  })

  it('SHA-256 hex', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })

  it('keyOf escapes separators so no user id can reach into another key', () => {
    expect(keyOf('sluice', 'rl', 'a:b', 'c')).not.toBe(keyOf('sluice', 'rl', 'a', 'b:c'))
    expect(keyOf('p', '{x}')).toBe('p:%7Bx%7D')
  })
})

describe('BoundedMap', () => {
  it('evicts the least recently used past its cap and expires entries', () => {
    let now = 0
    const m = new BoundedMap<string, number>(2, () => now)
    m.set('a', 1)
    m.set('b', 2)
    m.get('a')
    m.set('c', 3)
    expect(m.get('b')).toBeUndefined()
    expect(m.get('a')).toBe(1)
    m.set('t', 4, 100)
    now = 100
    expect(m.get('t')).toBeUndefined()
    expect(m.size).toBeLessThanOrEqual(2)
  })
})
