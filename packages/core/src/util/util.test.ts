import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from './canonical-json'
import { parseDuration, tryParseDuration } from './duration'
import { ExpiringMap } from './expiring-map'
import { sha256Hex } from './hash'
import { joinSignals } from './join-signals'
import { idProblem, keyOf } from './keys'
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
    expect(parseDuration('0.1s')).toBe(100)
    expect(tryParseDuration('0.001ms')).toBeUndefined() // no timer or window honours a microsecond
    expect(tryParseDuration(1.5)).toBeUndefined()
    expect(tryParseDuration(Number.POSITIVE_INFINITY)).toBeUndefined()
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

describe('joinSignals', () => {
  it('aborts with the reason of the first source that aborts, and unhooks itself from the others', () => {
    const a = new AbortController()
    const b = new AbortController()
    const joined = joinSignals([a.signal, undefined, b.signal])
    expect(joined.signal.aborted).toBe(false)
    b.abort('stop')
    expect(joined.signal.aborted).toBe(true)
    expect(joined.signal.reason).toBe('stop')
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(0)
  })

  it('release() leaves the sources as they were; one source is handed back as it is', () => {
    const long = new AbortController()
    for (let i = 0; i < 100; i++) joinSignals([long.signal, new AbortController().signal]).release()
    expect(getEventListeners(long.signal, 'abort')).toHaveLength(0)
    expect(joinSignals([long.signal, undefined]).signal).toBe(long.signal)
  })

  it('a source already aborted gives an aborted signal with its reason', () => {
    const done = new AbortController()
    done.abort('earlier')
    const joined = joinSignals([new AbortController().signal, done.signal])
    expect(joined.signal.aborted).toBe(true)
    expect(joined.signal.reason).toBe('earlier')
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

describe('ExpiringMap', () => {
  it('never drops a live entry: expired ones make room, and a full map refuses new keys', () => {
    let now = 0
    const m = new ExpiringMap<string, number>(3, () => now)
    m.set('long', 1, 10_000)
    m.set('a', 2, 100)
    m.set('b', 3, 100)
    expect(() => m.set('c', 4, 100)).toThrowError(expect.objectContaining({ code: 'store_unavailable' }))
    m.set('a', 5, 100) // an existing key is always updated
    now = 150
    m.set('c', 4, 100) // 'b' has expired and makes room ('a' was renewed at 0, so it expired too)
    expect(m.get('long')).toBe(1)
    expect(m.get('c')).toBe(4)
    expect(m.size).toBeLessThanOrEqual(3)
  })
})

describe('canonical keys', () => {
  it('tell apart what JSON would merge, and refuse what they cannot key', () => {
    const keys = [
      new Date('2026-01-01'),
      new Date('2020-01-01'),
      '2026-01-01T00:00:00.000Z',
      new Map([['a', 1]]),
      new Set([1]),
      {},
      JSON.parse('{"__proto__": 1}'),
      new URL('https://a.example/'),
    ].map(canonicalJson)
    expect(new Set(keys).size).toBe(keys.length)
    expect(
      canonicalJson(
        new Map([
          ['b', 2],
          ['a', 1],
        ]),
      ),
    ).toBe(
      canonicalJson(
        new Map([
          ['a', 1],
          ['b', 2],
        ]),
      ),
    )
    for (const bad of [Number.NaN, () => 1, Symbol('s'), new (class X {})(), new Uint8Array(2)]) {
      expect(() => canonicalJson(bad)).toThrowError(expect.objectContaining({ code: 'invalid_request' }))
    }
    let deep: unknown = 1
    for (let i = 0; i < 100; i++) deep = [deep]
    expect(() => canonicalJson(deep)).toThrowError(expect.objectContaining({ code: 'invalid_request' }))
  })
})

describe('idProblem', () => {
  // The checks it makes, written the plain way: the one-pass version must agree on every id.
  const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
  const plain = (v: string) => {
    if (v.length === 0 || v.length > 256) return 'length'
    if (v.trim().length === 0) return 'blank'
    if (
      [...v].some((ch) => ch.charCodeAt(0) < 0x20 || (ch.charCodeAt(0) >= 0x7f && ch.charCodeAt(0) <= 0x9f))
    )
      return 'control'
    if (LONE.test(v)) return 'surrogate'
    return undefined
  }
  const kind = (problem: string | undefined) =>
    problem === undefined
      ? undefined
      : problem.includes('blank')
        ? 'blank'
        : problem.includes('control')
          ? 'control'
          : problem.includes('surrogate')
            ? 'surrogate'
            : 'length'

  it('agrees with the plain checks on random ids of tricky chars', () => {
    const chars = [
      ' ',
      '\t',
      '\n',
      '\u000b',
      '\u0085',
      '\u00a0',
      '\u1680',
      '\u2000',
      '\u2028',
      '\u3000',
      '\ufeff',
      '\u007f',
      '\u009f',
      'a',
      'Z',
      '-',
      'é',
      '中',
      '\ud83d',
      '\ude00',
      '😀',
      '\u0000',
    ]
    let seed = 3
    const r = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    for (let n = 0; n < 20_000; n++) {
      const length = Math.floor(r() * 6)
      let id = ''
      for (let i = 0; i < length; i++) id += chars[Math.floor(r() * chars.length)]
      expect(kind(idProblem(id))).toBe(plain(id))
    }
  })
})
