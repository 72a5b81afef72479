import { describe, expect, it } from 'vitest'
import { memoryStore } from '../memory/memory-store'
import type { ChatRequest, Provider } from '../providers/types'
import { createSluice } from './create-sluice'
import { plainContext } from './plain-context'
import { plainRequestBytes } from './plain-request'
import { callContextSchema, chatRequestSchema } from './request-schema'

// The hand checks run before zod; whatever they accept, the schema must accept too, and the
// request's byte bound must never be under its real size. Random requests and contexts, built
// from valid and invalid pieces, probe both.
const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)]!
function rng(seed: number) {
  let s = seed
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31
    return s / 2 ** 31
  }
}
const TEXTS = ['hi', '', 'é'.repeat(50), '\u0000\u001f"\\', '😀'.repeat(20), '\uD800', 'x'.repeat(3000)]
const VALUES = [
  undefined,
  null,
  0,
  -1,
  1,
  1.5,
  2,
  3,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  2 ** 60,
  'x',
  true,
  [],
  {},
]

function randomMessage(r: () => number): unknown {
  const m: Record<string, unknown> = {}
  if (r() < 0.95) m.role = pick(['user', 'system', 'assistant', 'tool', 'developer', 'bot', 3], r)
  if (r() < 0.9) m.content = r() < 0.8 ? pick(TEXTS, r) : pick([null, undefined, [], 7, { a: 1 }], r)
  if (r() < 0.2) m.name = r() < 0.7 ? pick(TEXTS, r) : pick(VALUES, r)
  if (r() < 0.05) m.tool_call_id = 'c1'
  return r() < 0.03 ? Object.assign(Object.create(null), m) : m
}

function randomRequest(r: () => number): unknown {
  const q: Record<string, unknown> = {}
  if (r() < 0.95) q.model = r() < 0.9 ? 'deepseek-chat' : pick(['', 5, null], r)
  if (r() < 0.95)
    q.messages = r() < 0.95 ? Array.from({ length: Math.floor(r() * 4) }, () => randomMessage(r)) : 'x'
  for (const key of [
    'max_tokens',
    'max_completion_tokens',
    'temperature',
    'top_p',
    'n',
    'stream',
    'user',
    'tools',
  ])
    if (r() < 0.25) q[key] = r() < 0.5 ? pick([1, 50, 0.5, 1.9], r) : pick(VALUES, r)
  return q
}

describe('hand checks before the schemas', () => {
  it('a request they pass, the schema passes, and its bound covers its JSON bytes', () => {
    const r = rng(7)
    let passed = 0
    for (let i = 0; i < 20_000; i++) {
      const request = randomRequest(r)
      const bound = plainRequestBytes(request)
      if (bound === undefined) continue
      passed++
      expect(chatRequestSchema.safeParse(request).success).toBe(true)
      expect(bound).toBeGreaterThanOrEqual(new TextEncoder().encode(JSON.stringify(request)).byteLength)
    }
    expect(passed).toBeGreaterThan(500) // the common shapes do take the hand path
  })

  it('a context they pass parses as the schema parses it', () => {
    const r = rng(11)
    const ids = ['u1', '', ' ', 'a\nb', 'x'.repeat(300), '\uDC00', 'constructor', 5, undefined]
    let passed = 0
    for (let i = 0; i < 20_000; i++) {
      const ctx: Record<string, unknown> = {}
      if (r() < 0.95) ctx.userId = pick(ids, r)
      for (const key of ['tier', 'endpoint', 'cacheType', 'runner', 'model'])
        if (r() < 0.3) ctx[key] = r() < 0.6 ? 'a' : pick(ids, r)
      if (r() < 0.2) ctx.cache = pick([true, false, 'yes', undefined], r)
      if (r() < 0.2) ctx.cacheScope = pick(['global', 'user', 'all'], r)
      if (r() < 0.2) ctx.priority = r() < 0.5 ? pick([1, 10, 0, 11, 2.5], r) : pick(ids, r)
      if (r() < 0.2) ctx.estimateUsd = pick([0, 0.5, -1, Number.NaN, Number.POSITIVE_INFINITY], r)
      if (r() < 0.1) ctx.signal = r() < 0.5 ? new AbortController().signal : {}
      if (r() < 0.05) ctx.cacheTtl = '1h'
      if (r() < 0.03) ctx.color = 'red'
      const fast = plainContext(ctx)
      if (fast === undefined) continue
      passed++
      const parsed = callContextSchema.safeParse(ctx)
      expect(parsed.success).toBe(true)
      expect(fast).toEqual(parsed.data)
    }
    expect(passed).toBeGreaterThan(500)
  })
})

describe('cache hits', () => {
  const answer = { role: 'assistant' as const, content: 'bonjour' }
  const provider: Provider = {
    name: 'p',
    models: ['m'],
    defaultModel: 'm',
    chat: async () => ({
      id: 'a',
      object: 'chat.completion',
      created: 0,
      model: 'm',
      choices: [{ index: 0, message: { ...answer }, finish_reason: 'stop' }],
    }),
    async *stream() {},
  }
  const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hello' }] }

  it('a caller that changes its answer changes nobody else’s', async () => {
    const sluice = createSluice({ store: memoryStore(), providers: [provider] })
    const ctx = { userId: 'u1' }
    const first = await sluice.chat(request, ctx)
    const hit = await sluice.chat(request, ctx)
    expect(hit.sluice.cached).toBe(true)
    hit.choices[0]!.message.content = 'changed'
    hit.choices.push(hit.choices[0]!)
    first.choices[0]!.message.content = 'changed too'
    const again = await sluice.chat(request, ctx)
    expect(again.sluice.cached).toBe(true)
    expect(again.choices).toEqual([{ index: 0, message: answer, finish_reason: 'stop' }])
    await sluice.close()
  })

  it('an answer with a __proto__ key comes back with it as a key', async () => {
    const sluice = createSluice({ store: memoryStore(), providers: [provider] })
    const value = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}')
    await sluice.cache.set('t', { q: 1 }, value)
    for (let i = 0; i < 2; i++) {
      const read = (await sluice.cache.get('t', { q: 1 })) as Record<string, unknown>
      expect(Object.getPrototypeOf(read)).toBe(Object.prototype)
      expect(Object.keys(read)).toEqual(['__proto__', 'ok'])
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    }
    await sluice.close()
  })
})
