import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deepseek } from '../providers/deepseek'
import type { ChatRequest } from '../providers/types'
import { createSluice } from './create-sluice'

let ds: Simulator
beforeAll(async () => {
  ds = await startSimulator({ profile: 'deepseek', latencyMs: { min: 5, max: 10 } })
})
afterAll(() => ds.close())

const LANGS = ['French', 'German', 'Italian']
const translation = (lang: string, text: string): ChatRequest => ({
  model: 'deepseek-chat',
  messages: [
    { role: 'system', content: `Translate into ${lang}.` },
    { role: 'user', content: text },
  ],
})
const build = (extra: Record<string, unknown> = {}) =>
  createSluice({
    providers: [deepseek({ baseURL: ds.url })],
    tiers: { free: { limits: { translate: { limit: 3, window: '1m' } }, budget: { daily: 1 } }, premium: {} },
    batch: {
      // One group per target language: the system message says which.
      translate: {
        groupBy: (req) => String((req as ChatRequest).messages[0]?.content),
        maxSize: 50,
        windowMs: 200,
      },
    },
    retry: { retries: 0 },
    ...extra,
  })

/** An `embed` endpoint batched through its own list function (taking `takesMs`), recording each batch. */
const embedding = (runs: unknown[][], takesMs = 0) =>
  build({
    batch: {
      embed: {
        groupBy: () => 'all',
        maxSize: 8,
        windowMs: 100,
        run: async (inputs: unknown[]) => {
          runs.push(inputs)
          if (takesMs > 0) await new Promise((r) => setTimeout(r, takesMs))
          return inputs.map((t) => `vector(${t})`)
        },
      },
    },
  })

describe('batching similar requests', () => {
  it('50 translations into 3 languages from 5 users make 3 upstream calls; each user gets exactly its own answers', async () => {
    const sluice = build()
    const before = ds.stats.requests
    const asks = Array.from({ length: 50 }, (_, i) => ({
      user: `user-${i % 5}`,
      lang: LANGS[i % 3]!,
      text: `sentence ${i} from user-${i % 5}`,
    }))
    const results = await Promise.all(
      asks.map((a) =>
        sluice.chat(translation(a.lang, a.text), { userId: a.user, tier: 'premium', endpoint: 'translate' }),
      ),
    )
    expect(ds.stats.requests - before).toBe(3)
    for (const [i, res] of results.entries()) {
      // The simulator's answer names the item it answers: nobody got someone else's.
      expect(res.choices[0]?.message.content).toContain(`[re: ${asks[i]!.text}]`)
      expect(res.sluice).toMatchObject({ batched: true, provider: 'deepseek', cached: false })
      expect(res.sluice.batchSize).toBe(asks.filter((a) => a.lang === asks[i]!.lang).length)
      expect(res.sluice.costUsd).toBeGreaterThan(0)
    }
    for (let u = 0; u < 5; u++) {
      const mine = results.filter((_, i) => asks[i]!.user === `user-${u}`)
      expect(mine).toHaveLength(10)
      expect(mine.every((r) => r.choices[0]!.message.content!.includes(`from user-${u}]`))).toBe(true)
    }
    // Each item was cached under its own key: asked alone later, it is a hit.
    const again = await sluice.chat(translation('German', asks[1]!.text), {
      userId: 'later',
      endpoint: 'translate',
    })
    expect(again.sluice.cached).toBe(true)
    expect(again.choices[0]?.message.content).toBe(results[1]!.choices[0]?.message.content)
    expect(ds.stats.requests - before).toBe(3)
    expect(sluice.counters()).toMatchObject({ batches: 3, batchedCalls: 50, batchFallbacks: 0 })
    await sluice.close()
  })

  it('a batch answer that does not split falls back to single calls; no answer crosses users, each pays', async () => {
    const sluice = build()
    const before = ds.stats.requests
    ds.setMalformedLists(true)
    try {
      const asks = Array.from({ length: 10 }, (_, i) => ({
        user: `m${i % 2}`,
        text: `malformed case ${i} for m${i % 2}`,
      }))
      const results = await Promise.all(
        asks.map((a) =>
          sluice.chat(translation('French', a.text), { userId: a.user, endpoint: 'translate' }),
        ),
      )
      expect(ds.stats.requests - before).toBe(11) // the batch, then each item alone
      for (const [i, res] of results.entries()) {
        expect(res.choices[0]?.message.content).toContain(`[re: ${asks[i]!.text}]`)
        expect(res.sluice.batched).toBe(false)
        expect(res.sluice.costUsd).toBeGreaterThan(0)
      }
      expect(sluice.counters()).toMatchObject({ batches: 1, batchFallbacks: 1 })
      const spend = (await sluice.cost.spend('m0')) + (await sluice.cost.spend('m1'))
      expect(spend).toBeCloseTo(
        results.reduce((s, r) => s + r.sluice.costUsd, 0),
        12,
      )
    } finally {
      ds.setMalformedLists(false)
    }
    await sluice.close()
  })

  it('a packed request the provider refuses (too large) falls back to single calls', async () => {
    // Each request alone fits under the provider's body limit; the eight packed together do not.
    const small = await startSimulator({
      profile: 'deepseek',
      latencyMs: { min: 1, max: 2 },
      maxBodyChars: 300_000,
    })
    try {
      const sluice = build({ providers: [deepseek({ baseURL: small.url })], cache: { enabled: false } })
      const asks = Array.from({ length: 8 }, (_, i) => `long text number ${i}: ${'y'.repeat(50_000)}`)
      const results = await Promise.all(
        asks.map((t, i) =>
          sluice.chat(translation('French', t), { userId: `big${i}`, endpoint: 'translate' }),
        ),
      )
      expect(
        results.every((r, i) => r.choices[0]!.message.content!.includes(`[re: ${asks[i]!.slice(0, 60)}`)),
      ).toBe(true)
      expect(small.stats.badRequests).toBe(1)
      expect(small.stats.ok).toBe(8)
      expect(sluice.counters().batchFallbacks).toBe(1)
      await sluice.close()
    } finally {
      await small.close()
    }
  })

  it('rate limits and budgets apply per caller before batching', async () => {
    const sluice = build()
    const before = ds.stats.requests
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        sluice.chat(translation('Italian', `limited ${i}`), {
          userId: 'capped',
          tier: 'free',
          endpoint: 'translate',
        }),
      ),
    )
    const ok = results.filter((r) => r.status === 'fulfilled')
    expect(ok).toHaveLength(3)
    expect(results.filter((r) => r.status === 'rejected' && r.reason.code === 'rate_limited')).toHaveLength(2)
    expect(ds.stats.requests - before).toBe(1)
    const costs = ok.map(
      (r) => (r as PromiseFulfilledResult<{ sluice: { costUsd: number } }>).value.sluice.costUsd,
    )
    expect(await sluice.cost.spend('capped')).toBeCloseTo(
      costs.reduce((s, c) => s + c, 0),
      12,
    )
    await sluice.close()
  })

  it("sluice.call batches through the endpoint's own list function", async () => {
    const runs: unknown[][] = []
    const sluice = embedding(runs)
    const single = async (t: string) => `single(${t})`
    const out = await Promise.all(
      Array.from({ length: 8 }, (_, i) => sluice.call('embed', `text ${i}`, { userId: `e${i}` }, single)),
    )
    expect(runs).toHaveLength(1)
    expect(out).toEqual(Array.from({ length: 8 }, (_, i) => `vector(text ${i})`))
    await sluice.close()
  })

  it('a batched caller whose signal aborts leaves at once; before its batch goes up, its item is not sent', async () => {
    const runs: unknown[][] = []
    const sluice = embedding(runs, 100)
    const single = async (t: string) => `single(${t})`
    const settled: string[] = []
    const ask = (t: string, signal?: AbortSignal) =>
      sluice
        .call(
          'embed',
          t,
          { userId: t, tier: 'free', estimateUsd: 0.01, ...(signal ? { signal } : {}) },
          single,
        )
        .then(
          (v) => {
            settled.push(t)
            return v
          },
          (e) => {
            settled.push(t)
            return (e as { code: string }).code
          },
        )
    const early = new AbortController()
    const late = new AbortController()
    const out = [ask('a'), ask('early', early.signal), ask('late', late.signal), ask('b')]
    setTimeout(() => early.abort(), 20) // while the window is open
    setTimeout(() => late.abort(), 150) // while the batch is upstream
    expect(await Promise.all(out)).toEqual(['vector(a)', 'cancelled', 'cancelled', 'vector(b)'])
    expect(runs).toEqual([['a', 'late', 'b']]) // the early leaver was never sent
    expect(settled.slice(0, 2)).toEqual(['early', 'late']) // each went at its abort, not with the batch
    // Its share had gone up with the batch: the late leaver keeps its reservation; the early one spent nothing.
    expect(await sluice.cost.spend('late')).toBeCloseTo(0.01, 10)
    expect(await sluice.cost.spend('early')).toBe(0)
    await sluice.close()
  })

  it('through the queue, a worker batches the jobs it claims together, whoever enqueued them', async () => {
    const sluice = build({ queue: { concurrency: 30, batchSize: 30, pollInterval: 20 } })
    const before = ds.stats.requests
    const asks = Array.from({ length: 30 }, (_, i) => ({ lang: LANGS[i % 3]!, text: `queued ${i}` }))
    const results = await Promise.all(
      asks.map((a, i) =>
        sluice.chat(translation(a.lang, a.text), {
          userId: `q${i % 4}`,
          tier: 'premium',
          endpoint: 'translate',
          cache: false,
        }),
      ),
    )
    expect(results.every((r, i) => r.choices[0]!.message.content!.includes(`[re: ${asks[i]!.text}]`))).toBe(
      true,
    )
    // How the 30 jobs fall into claims depends on timing; batched, they cannot take 30 calls.
    expect(ds.stats.requests - before).toBeLessThan(30)
    expect(sluice.counters().batches).toBeGreaterThan(0)
    await sluice.close()
  })

  it('refuses bad batch options by path', () => {
    expect(() => build({ batch: { translate: { groupBy: 'lang' } } })).toThrow(
      expect.objectContaining({ code: 'invalid_config', path: 'options.batch.translate.groupBy' }),
    )
    expect(() => build({ batch: { translate: { groupBy: () => 'x', maxSize: 0 } } })).toThrow(
      expect.objectContaining({ code: 'invalid_config', path: 'options.batch.translate.maxSize' }),
    )
  })
})
