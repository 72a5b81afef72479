import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { named } from '../chain/types'
import { SluiceError } from '../errors/sluice-error'
import { toHttp } from '../errors/to-http'
import { memoryStore } from '../memory/memory-store'
import { deepseek } from '../providers/deepseek'
import { groq } from '../providers/groq'
import type { Provider } from '../providers/types'
import type { RateLimitPort } from '../store/rate-limit-port'
import { createSluice, type Sluice } from './create-sluice'

let ds: Simulator
let gq: Simulator
let sluice: Sluice
beforeAll(async () => {
  ds = await startSimulator({ profile: 'deepseek', latencyMs: { min: 5, max: 10 } })
  gq = await startSimulator({ profile: 'groq', latencyMs: { min: 1, max: 3 }, rpm: 0, tpm: 0 })
})
afterAll(async () => {
  await ds.close()
  await gq.close()
})

function build(extra: Record<string, unknown> = {}) {
  return createSluice({
    providers: [
      deepseek({ baseURL: ds.url }),
      groq({ baseURL: gq.url, modelMap: { 'deepseek-chat': 'llama-3.3-70b-versatile' } }),
    ],
    tiers: {
      free: { limits: { check_answer: { limit: 2, window: '1m' } }, budget: { daily: 0.1 } },
      broke: { budget: { daily: 0.000001 } },
      superadmin: { unlimited: true },
    },
    limits: { translate: { limit: 100, window: '1m' } },
    cache: { ttl: { translate: '24h', default: '1h' } },
    retry: { retries: 1, minTimeout: 1, maxTimeout: 5 },
    ...extra,
  })
}
const ask = (content: string) => ({ model: 'deepseek-chat', messages: [{ role: 'user' as const, content }] })

describe('createSluice', () => {
  beforeEach(async () => {
    await sluice?.close()
    sluice = build()
    ds.setOutage(undefined)
  })

  it('answers in the OpenAI shape with res.sluice beside it; a repeat is a free cache hit', async () => {
    const before = ds.stats.requests
    const res = await sluice.chat(ask('translate: good night'), {
      userId: 'ana',
      tier: 'free',
      endpoint: 'translate',
    })
    expect(res.choices[0]?.message.content).toContain('good night')
    expect(res.sluice).toMatchObject({ cached: false, provider: 'deepseek', attempts: 1, fallbacks: 0 })
    expect(res.sluice.costUsd).toBeGreaterThan(0)
    const again = await sluice.chat(ask('translate: good night'), {
      userId: 'bob',
      tier: 'free',
      endpoint: 'translate',
    })
    expect(again.sluice).toMatchObject({ cached: true, costUsd: 0 })
    expect(again.choices).toEqual(res.choices)
    expect(ds.stats.requests - before).toBe(1)
    expect(await sluice.cost.spend('bob')).toBe(0)
  })

  it('bad requests end in invalid_request naming the path, and nothing reaches the provider', async () => {
    const before = ds.stats.requests + gq.stats.requests
    const cases: [unknown, unknown, string][] = [
      [{ model: 'deepseek-chat', messages: [] }, { userId: 'u' }, 'request.messages'],
      [{ model: '', messages: [{ role: 'user', content: 'x' }] }, { userId: 'u' }, 'request.model'],
      [
        { model: 'deepseek-chat', messages: [{ role: 'wizard', content: 'x' }] },
        { userId: 'u' },
        'request.messages.0.role',
      ],
      [
        { model: 'deepseek-chat', messages: [{ role: 'user', content: 'x' }], temperature: 7 },
        { userId: 'u' },
        'request.temperature',
      ],
      [ask('x'), { userId: '' }, 'ctx.userId'],
      [ask('x'), { userId: 'u', tier: 'gold' }, 'ctx.tier'],
      [ask('x'), { userId: 'u', priority: 0 }, 'ctx.priority'],
      [ask('x'), { userId: 'u', cacheTtl: 'forever' }, 'ctx.cacheTtl'],
      [{ ...ask('x'), stream: true }, { userId: 'u' }, 'request.stream'],
    ]
    for (const [request, ctx, path] of cases) {
      const e = await sluice.chat(request as never, ctx as never).catch((x) => x)
      expect(e).toMatchObject({ code: 'invalid_request', path })
      expect(toHttp(e).status).toBe(400)
    }
    expect(ds.stats.requests + gq.stats.requests).toBe(before)
  })

  it('rate limits per tier and endpoint with retry facts; superadmin is not limited', async () => {
    const ctx = { userId: 'carla', tier: 'free', endpoint: 'check_answer', cache: false }
    await sluice.chat(ask('1'), ctx)
    await sluice.chat(ask('2'), ctx)
    const e = await sluice.chat(ask('3'), ctx).catch((x) => x)
    expect(SluiceError.is(e, 'rate_limited')).toBe(true)
    expect(e.retryAfterMs).toBeGreaterThan(0)
    expect(toHttp(e)).toMatchObject({
      status: 429,
      headers: { 'X-RateLimit-Limit': '2', 'X-RateLimit-Remaining': '0' },
    })
    for (let i = 0; i < 5; i++)
      await sluice.chat(ask(`${i}`), { userId: 'root', tier: 'superadmin', endpoint: 'check_answer' })
  })

  it('refuses a call over budget before it reaches the provider', async () => {
    const before = ds.stats.requests
    const e = await sluice.chat(ask('expensive'), { userId: 'dan', tier: 'broke' }).catch((x) => x)
    expect(e).toMatchObject({ code: 'budget_exceeded' })
    expect(ds.stats.requests).toBe(before)
  })

  it('identical requests in flight share one upstream call and are charged once', async () => {
    const before = ds.stats.requests
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        sluice.chat(ask('same question'), { userId: `u${i}`, endpoint: 'translate' }),
      ),
    )
    expect(ds.stats.requests - before).toBe(1)
    expect(results.filter((r) => r.sluice.coalesced)).toHaveLength(9)
    expect(results.every((r) => r.sluice.provider === 'deepseek')).toBe(true)
    expect(results.filter((r) => r.sluice.costUsd > 0)).toHaveLength(1)
  })

  it('callers of a shared call in flight leave alone: a follower goes at its abort, a leader that goes does not take the others', async () => {
    let upstream = 0
    let abortedUpstream = 0
    const slow: Provider = {
      name: 'slow',
      models: ['m'],
      defaultModel: 'm',
      chat: (_request, options) =>
        new Promise((resolve, reject) => {
          upstream++
          const timer = setTimeout(
            () =>
              resolve({
                id: 'c',
                object: 'chat.completion',
                created: 0,
                model: 'm',
                choices: [
                  { index: 0, message: { role: 'assistant', content: 'the answer' }, finish_reason: 'stop' },
                ],
              }),
            150,
          )
          options?.signal?.addEventListener('abort', () => {
            abortedUpstream++
            clearTimeout(timer)
            reject(options.signal!.reason)
          })
        }),
      async *stream() {},
    }
    const local = createSluice({ providers: [slow], retry: { retries: 0 } })
    const same = { model: 'm', messages: [{ role: 'user' as const, content: 'same' }] }
    const [leader, follower] = [new AbortController(), new AbortController()]
    const settled: string[] = []
    const outcome = (who: string, p: Promise<{ choices: { message: { content: unknown } }[] }>) =>
      p
        .then(
          (r) => ({ ok: r.choices[0]!.message.content }),
          (e) => ({ error: (e as SluiceError).code }),
        )
        .finally(() => settled.push(who))
    const calls = [
      outcome('a', local.chat(same, { userId: 'a', signal: leader.signal })),
      outcome('b', local.chat(same, { userId: 'b', signal: follower.signal })),
      outcome('c', local.chat(same, { userId: 'c' })),
      outcome('d', local.chat(same, { userId: 'd' })),
    ]
    setTimeout(() => follower.abort(), 30)
    setTimeout(() => leader.abort(), 60)
    const [a, b, c, d] = await Promise.all(calls)
    expect(b).toMatchObject({ error: 'cancelled' })
    expect(settled.slice(0, 2)).toEqual(['b', 'a']) // b went at its own abort, before the leader's
    expect(a).toMatchObject({ error: 'cancelled' })
    // The leader's abort cancelled its own upstream call only; c and d still got the answer, from one call.
    expect([c, d]).toMatchObject([{ ok: 'the answer' }, { ok: 'the answer' }])
    expect(upstream).toBe(2)
    expect(abortedUpstream).toBe(1)
    await local.close()
  })

  it('a caller that aborts while a slow store decides leaves at once, and nothing is sent upstream', async () => {
    const events: string[] = []
    const store = memoryStore()
    const slowLimits: RateLimitPort = {
      ...store.rateLimit,
      consumeAll: async (items) => {
        await new Promise((r) => setTimeout(r, 150))
        events.push('store answered')
        return store.rateLimit.consumeAll(items)
      },
      consume: async (key, cost, rule) => {
        await new Promise((r) => setTimeout(r, 150))
        events.push('store answered')
        return store.rateLimit.consume(key, cost, rule)
      },
    }
    const before = ds.stats.requests
    const slow = build({ store: { ...store, rateLimit: slowLimits } })
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 20)
    await expect(
      slow.chat(ask('slow store'), {
        userId: 'u',
        tier: 'free',
        endpoint: 'check_answer',
        signal: ac.signal,
      }),
    ).rejects.toMatchObject({ code: 'cancelled' })
    events.push('caller left')
    await new Promise((r) => setTimeout(r, 200))
    expect(events).toEqual(['caller left', 'store answered'])
    expect(ds.stats.requests - before).toBe(0)
    // Nothing went up, so nothing was spent: the reservation made after the caller left is given back.
    expect(await slow.cost.spend('u')).toBe(0)
    expect((await slow.stats()).errorsByCode).toEqual({ cancelled: 1 })
    // A signal aborted before the call: nothing runs (the slow store is not even asked).
    events.length = 0
    const aborted = AbortSignal.abort()
    await expect(
      slow.chat(ask('too late'), { userId: 'u', tier: 'free', endpoint: 'check_answer', signal: aborted }),
    ).rejects.toMatchObject({ code: 'cancelled' })
    await new Promise((r) => setTimeout(r, 200))
    expect(events).toEqual([])
    expect((await slow.stats()).requestsTotal).toBe(1)
    await slow.close()
  })

  it('falls back to the next provider during an outage', async () => {
    ds.setOutage(true)
    const res = await sluice.chat(ask('during outage'), { userId: 'eve', cache: false })
    expect(res.sluice).toMatchObject({ provider: 'groq', fallbacks: 1 })
    expect(res.model).toBe('llama-3.3-70b-versatile')
    expect(sluice.counters().fallbacks).toBe(1)
  })

  it('logs nothing by default, and to a given logger on fallback', async () => {
    const lines: string[] = []
    const logger = { warn: (m: string) => lines.push(m), info: (m: string) => lines.push(m) }
    const logged = build({ logger })
    ds.setOutage(true)
    await logged.chat(ask('logged outage'), { userId: 'lou', cache: false })
    expect(lines).toContain('sluice: deepseek failed, falling back to groq')
    await logged.close()
  })

  it('wraps any call with the same controls', async () => {
    let runs = 0
    const fn = async (input: { text: string }) => {
      runs++
      return { translation: input.text.toUpperCase() }
    }
    const a = await sluice.call('translate', { text: 'hola' }, { userId: 'u' }, fn)
    const b = await sluice.call('translate', { text: 'hola' }, { userId: 'v' }, fn)
    expect(a).toEqual({ translation: 'HOLA' })
    expect(b).toEqual(a)
    expect(runs).toBe(1)
    await expect(sluice.call('translate', {}, { userId: 'u' }, 'nope' as never)).rejects.toMatchObject({
      code: 'invalid_request',
      path: 'fn',
    })
  })

  it('streams with budget settled from the final usage', async () => {
    const stream = sluice.stream(ask('stream me'), { userId: 'fay', tier: 'free' })
    let text = ''
    let next = await stream.next()
    while (!next.done) {
      text += next.value.choices[0]?.delta.content ?? ''
      next = await stream.next()
    }
    expect(text).toContain('stream me')
    expect(next.value).toMatchObject({ provider: 'deepseek' })
    expect(next.value.costUsd).toBeGreaterThan(0)
    expect(await sluice.cost.spend('fay')).toBeCloseTo(next.value.costUsd)
  })

  it('runs user middlewares around the upstream call only', async () => {
    const seen: string[] = []
    sluice.use(
      named('audit', async (call, next) => {
        seen.push(call.endpoint)
        return next()
      }),
    )
    expect(sluice.middlewares()).toEqual([
      'metrics',
      'admission',
      'cache',
      'budget',
      'coalesce',
      'audit',
      'resilient',
    ])
    await sluice.chat(ask('audited'), { userId: 'u', endpoint: 'translate' })
    await sluice.chat(ask('audited'), { userId: 'u', endpoint: 'translate' })
    expect(seen).toEqual(['translate'])
  })

  it('cancels a queued call nobody waits for any more', async () => {
    const queued = build({ queue: { worker: false, timeout: 30 } })
    const e = await queued.chat(ask('never picked up'), { userId: 'q2', cache: false }).catch((x) => x)
    expect(e).toMatchObject({ code: 'queue_timeout' })
    expect(await queued.queue!.counts()).toMatchObject({ pending: 0, cancelled: 1 })
    expect(await queued.cost.spend('q2')).toBe(0)
    await queued.close()
  })

  it('routes chat through the durable queue when configured', async () => {
    const queued = build({ queue: { pollInterval: 20, priorities: { high: 1, normal: 5, low: 9 } } })
    const res = await queued.chat(ask('queued'), { userId: 'q', priority: 'high', cache: false })
    expect(res.sluice.provider).toBe('deepseek')
    expect(res.sluice.queuedMs).toBeGreaterThanOrEqual(0)
    expect(queued.middlewares()).toContain('queue')
    expect(await queued.queue!.counts()).toMatchObject({ completed: 1, pending: 0 })
    await queued.close()
  })

  it('reports live stats and names which ports are in-process', async () => {
    await sluice.chat(ask('stats'), { userId: 's1', endpoint: 'translate' })
    await sluice.chat(ask('stats'), { userId: 's2', endpoint: 'translate' })
    const stats = await sluice.stats()
    expect(stats).toMatchObject({
      activeUsers: 2,
      requestsTotal: 2,
      cache: { hits: 1, misses: 1, hitRate: 0.5 },
    })
    expect(stats.spendTodayUsd).toBeGreaterThan(0)
    expect(sluice.storeReport()).toMatchObject({ rateLimit: 'in-process', queue: 'in-process' })
    expect(await sluice.prometheus()).toContain('sluice_cache_hit_ratio 0.5')
  })
})
