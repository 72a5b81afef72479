import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SluiceError } from '../errors/sluice-error'
import { memoryStore } from '../memory/memory-store'
import { deepseek } from '../providers/deepseek'
import type { ChatCompletion, ChatRequest, Provider } from '../providers/types'
import { createSluice } from './create-sluice'

// Budgets: reserve-then-settle with no way around it, whatever the model, the content shape,
// the kind of call or the queue.

let ds: Simulator
beforeAll(async () => {
  ds = await startSimulator({ profile: 'deepseek', latencyMs: { min: 1, max: 3 } })
})
afterAll(() => ds.close())

/** A provider serving a model no price table knows, reporting usage as a real API would. */
function mysteryProvider() {
  const p = {
    name: 'mystery',
    models: ['mystery-1'],
    defaultModel: 'mystery-1',
    calls: 0,
    async chat(request: ChatRequest): Promise<ChatCompletion> {
      p.calls++
      return {
        id: 'x',
        object: 'chat.completion',
        created: 0,
        model: request.model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: Math.ceil(JSON.stringify(request.messages).length / 4),
          completion_tokens: request.max_tokens ?? 1000,
          total_tokens: 0,
        },
      }
    },
    async *stream() {},
  } satisfies Provider & { calls: number }
  return p
}

const ask = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'deepseek-chat',
  messages: [{ role: 'user', content }],
  ...extra,
})

describe('budgets have no way around them', () => {
  it('refuses a call to an unpriced model under a budget, and sends nothing', async () => {
    const provider = mysteryProvider()
    const sluice = createSluice({ providers: [provider], tiers: { free: { budget: { daily: 0.01 } } } })
    const e = await sluice
      .chat(
        { model: 'mystery-1', messages: [{ role: 'user', content: 'hi' }] },
        { userId: 'u', tier: 'free' },
      )
      .catch((x) => x)
    expect(e).toMatchObject({ code: 'invalid_request', path: 'request.model' })
    expect(e.message).toContain('fallbackPrice')
    expect(provider.calls).toBe(0)
    await sluice.close()
  })

  it('prices an unpriced model by budget.fallbackPrice, and then holds the budget', async () => {
    const provider = mysteryProvider()
    const sluice = createSluice({
      providers: [provider],
      tiers: { free: { budget: { daily: 0.01 } } },
      budget: { fallbackPrice: { input: 1, output: 1 } }, // about $0.001 an answer here
      cache: { enabled: false },
    })
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        sluice.chat(
          { model: 'mystery-1', messages: [{ role: 'user', content: `q${i}` }], max_tokens: 1000 },
          { userId: 'u', tier: 'free' },
        ),
      ),
    )
    const ok = results.filter((r) => r.status === 'fulfilled').length
    expect(ok).toBeGreaterThan(0)
    expect(ok).toBe(provider.calls)
    expect(
      results
        .filter((r) => r.status === 'rejected')
        .every((r) => SluiceError.is(r.reason, 'budget_exceeded')),
    ).toBe(true)
    expect(await sluice.cost.spend('u')).toBeLessThanOrEqual(0.01 + 1e-9)
    await sluice.close()
  })

  it('counts content given as an array of parts (text and images), so concurrent calls cannot overspend', async () => {
    const sluice = createSluice({
      providers: [deepseek({ baseURL: ds.url })],
      tiers: { free: { budget: { daily: 0.002 } } },
      cache: { enabled: false },
    })
    const before = ds.stats.requests
    const text = 'Translate this paragraph into French, keeping its tone. '.repeat(70) // ~4,000 chars
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        sluice.chat(
          {
            model: 'deepseek-chat',
            messages: [{ role: 'user', content: [{ type: 'text', text: `${i} ${text}` }] as never }],
            max_tokens: 50,
          },
          { userId: 'parts', tier: 'free' },
        ),
      ),
    )
    const ok = results.filter((r) => r.status === 'fulfilled').length
    expect(ok).toBe(ds.stats.requests - before)
    expect(ok).toBeLessThan(40)
    // The reservation counted the text, so the real spend stays within the budget.
    expect(await sluice.cost.spend('parts')).toBeLessThanOrEqual(0.002 + 1e-9)
    await sluice.close()
  })

  it('wrapped calls reserve and settle like chat: a $0 budget runs none of them', async () => {
    const sluice = createSluice({
      providers: [deepseek({ baseURL: ds.url })],
      tiers: { broke: { budget: { daily: 0 } }, free: { budget: { daily: 0.01 } } },
    })
    let runs = 0
    const fn = async (input: string) => {
      runs++
      return { text: input, model: 'deepseek-chat', usage: { prompt_tokens: 10, completion_tokens: 10 } }
    }
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        sluice.call('summarise', `doc ${i}`, { userId: 'zero', tier: 'broke', estimateUsd: 0 }, fn),
      ),
    )
    expect(
      outcomes.every((r) => r.status === 'rejected' && SluiceError.is(r.reason, 'budget_exceeded')),
    ).toBe(true)
    expect(runs).toBe(0)
    // Under a budget, a wrapped call must say what it may cost (or which priced model it uses).
    const blind = await sluice.call('summarise', 'doc', { userId: 'v', tier: 'free' }, fn).catch((x) => x)
    expect(blind).toMatchObject({ code: 'invalid_request', path: 'ctx.estimateUsd' })
    expect(runs).toBe(0)
    // With a priced model, the result's usage settles the real cost.
    await sluice.call('summarise', 'doc', { userId: 'v', tier: 'free', model: 'deepseek-chat' }, fn)
    expect(await sluice.cost.spend('v')).toBeCloseTo((10 * 0.28 + 10 * 0.42) / 1e6, 12)
    // Without usage in the result, the estimate is what it cost: never free.
    await sluice.call(
      'summarise',
      'doc 2',
      { userId: 'w', tier: 'free', estimateUsd: 0.003 },
      async () => 'plain',
    )
    expect(await sluice.cost.spend('w')).toBeCloseTo(0.003, 12)
    expect((await sluice.cost.report()).byUser.w).toBeCloseTo(0.003, 12)
    await sluice.close()
  })

  it('charges a queued chat that ran after its waiter gave up', async () => {
    const slow = await startSimulator({ profile: 'deepseek', latencyMs: { min: 150, max: 150 } })
    const sluice = createSluice({
      providers: [deepseek({ baseURL: slow.url })],
      tiers: { free: { budget: { daily: 1 } } },
      queue: { timeout: 40, pollInterval: 10 },
    })
    const e = await sluice
      .chat(ask('slow one'), { userId: 'gone', tier: 'free', cache: false })
      .catch((x) => x)
    expect(e).toMatchObject({ code: 'queue_timeout' })
    // The job had started, so it runs on; its worker settles what it really cost.
    for (let i = 0; i < 100 && (await sluice.queue!.counts()).completed === 0; i++)
      await new Promise((r) => setTimeout(r, 20))
    const report = await sluice.cost.report()
    expect(report.requests).toBe(1)
    expect(report.byUser.gone).toBeGreaterThan(0)
    expect(await sluice.cost.spend('gone')).toBeCloseTo(report.byUser.gone!, 12)
    expect(slow.stats.ok).toBe(1)
    await sluice.close()
    await slow.close()
  })

  it('a queued chat whose lease was lost mid-call is settled once, by the run that finished', async () => {
    const slow = await startSimulator({ profile: 'deepseek', latencyMs: { min: 400, max: 400 } })
    const store = memoryStore()
    const port = store.queue!
    let renewals = 0
    // The first renewal finds the job taken by another worker: that run is aborted mid-call and
    // the job runs again once its lease lapses.
    const queue = {
      ...port,
      extendLease: async (...args: Parameters<typeof port.extendLease>) =>
        renewals++ === 0 ? false : port.extendLease(...args),
    }
    const sluice = createSluice({
      store: { ...store, queue },
      providers: [deepseek({ baseURL: slow.url })],
      tiers: { free: { budget: { daily: 1 } } },
      queue: { lease: 300, pollInterval: 20, timeout: 10_000 },
    })
    const res = await sluice.chat(ask('taken over'), { userId: 'twice', tier: 'free', cache: false })
    expect(res.sluice.costUsd).toBeGreaterThan(0)
    expect(renewals).toBeGreaterThan(0)
    expect((await sluice.queue!.counts()).completed).toBe(1)
    // What the user is charged is what the run that finished cost: the reservation was settled
    // once, not given back by the aborted run as well.
    expect(await sluice.cost.spend('twice')).toBeCloseTo(res.sluice.costUsd, 12)
    await sluice.close()
    await slow.close()
  })

  it('reserves what an endpoint really returns, not the whole max_tokens', async () => {
    const sluice = createSluice({
      providers: [deepseek({ baseURL: ds.url })],
      tiers: { free: { budget: { daily: 0.1 } } },
      cache: { enabled: false },
    })
    const ctx = { userId: 'busy', tier: 'free', endpoint: 'translate' }
    // A short warm-up: answers of a few dozen tokens with max_tokens 8192.
    for (let i = 0; i < 10; i++) await sluice.chat(ask(`warm ${i}`, { max_tokens: 8192 }), ctx)
    const spentBefore = await sluice.cost.spend('busy')
    expect(spentBefore).toBeLessThan(0.001)
    // The worst case (8,192 output tokens each) would refuse 71 of these 100 calls.
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => sluice.chat(ask(`question ${i}`, { max_tokens: 8192 }), ctx)),
    )
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(0)
    expect(await sluice.cost.spend('busy')).toBeLessThan(0.1)
    await sluice.close()
  })

  it('200 concurrent calls by one user spend no more than the budget and one call', async () => {
    const sluice = createSluice({
      providers: [deepseek({ baseURL: ds.url })],
      tiers: { free: { budget: { daily: 0.001 } } },
      cache: { enabled: false },
    })
    const before = ds.stats.requests
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        sluice.chat(ask(`burst ${i}`, { max_tokens: 64 }), { userId: 'b', tier: 'free' }),
      ),
    )
    const ok = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{
      sluice: { costUsd: number }
    }>[]
    expect(ok.length).toBe(ds.stats.requests - before)
    const oneCall = Math.max(...ok.map((r) => r.value.sluice.costUsd))
    expect(await sluice.cost.spend('b')).toBeLessThanOrEqual(0.001 + oneCall)
    await sluice.close()
  })

  it('a caller who hangs up while its request is upstream pays what it reserved; one who leaves before pays nothing', async () => {
    const slow = await startSimulator({ profile: 'deepseek', latencyMs: { min: 300, max: 300 } })
    const sluice = createSluice({
      providers: [deepseek({ baseURL: slow.url })],
      tiers: { free: { budget: { daily: 0.001 } } },
      cache: { enabled: false },
      retry: { retries: 0 },
    })
    const hangUp = async (content: string, afterMs: number) => {
      const ac = new AbortController()
      setTimeout(() => ac.abort(), afterMs)
      return sluice
        .chat(ask(content, { max_tokens: 64 }), { userId: 'h', tier: 'free', signal: ac.signal })
        .catch((e) => e)
    }
    // Cut mid-call, again and again: each keeps its reservation, until the budget refuses.
    const codes: string[] = []
    for (let i = 0; i < 40 && !codes.includes('budget_exceeded'); i++)
      codes.push(((await hangUp(`hang up ${i}`, 50)) as SluiceError).code)
    expect(codes.at(-1)).toBe('budget_exceeded')
    expect(codes.slice(0, -1).every((c) => c === 'cancelled')).toBe(true)
    expect(await sluice.cost.spend('h')).toBeGreaterThan(0.001 * 0.9)
    // Cancelled before anything went up: nothing is spent.
    const other = await sluice.cost.spend('g')
    const ac = new AbortController()
    ac.abort()
    await expect(
      sluice.chat(ask('never sent'), { userId: 'g', tier: 'free', signal: ac.signal }),
    ).rejects.toMatchObject({
      code: 'cancelled',
    })
    expect(await sluice.cost.spend('g')).toBe(other)
    await sluice.close()
    await slow.close()
  })

  it('fires the 100% threshold when the budget is used up', async () => {
    const sluice = createSluice({
      providers: [deepseek({ baseURL: ds.url })],
      tiers: { free: { budget: { daily: 0.0002 } } },
      cache: { enabled: false },
    })
    const ratios: number[] = []
    sluice.on('budget:threshold', (e) => ratios.push(e.ratio))
    const lines: string[] = []
    const logged = createSluice({
      providers: [deepseek({ baseURL: ds.url })],
      tiers: { free: { budget: { daily: 0.0002 } } },
      cache: { enabled: false },
      logger: { info: (m: string) => lines.push(m) },
    })
    for (const s of [sluice, logged]) {
      for (let i = 0; i < 40; i++) {
        const e = await s
          .chat(ask(`t ${i}`, { max_tokens: 64 }), { userId: 'c', tier: 'free' })
          .catch((x) => x)
        if (SluiceError.is(e, 'budget_exceeded')) {
          expect(e.message).toBe('budget: the daily budget of $0.0002 is spent')
          break
        }
      }
    }
    expect(ratios).toEqual([0.8, 1])
    expect(lines).toContain('sluice: c reached 100% of the daily budget')
    await sluice.close()
    await logged.close()
  })

  it('a cached answer costs nothing: an over-budget user still gets it, and no budget is consulted', async () => {
    const sluice = createSluice({
      providers: [deepseek({ baseURL: ds.url })],
      tiers: { free: { budget: { daily: 1 } }, broke: { budget: { daily: 0 } } },
    })
    const question = ask('What does "sobremesa" mean?')
    await sluice.chat(question, { userId: 'payer', tier: 'free' })
    const reserves: unknown[] = []
    const port = (sluice as unknown as { cost: { port: { reserve: (...a: unknown[]) => unknown } } }).cost
      .port
    const original = port.reserve.bind(port)
    port.reserve = (...a: unknown[]) => {
      reserves.push(a)
      return original(...a)
    }
    const res = await sluice.chat(question, { userId: 'skint', tier: 'broke' })
    expect(res.sluice).toMatchObject({ cached: true, costUsd: 0 })
    expect(reserves).toEqual([])
    await expect(sluice.chat(ask('a fresh one'), { userId: 'skint', tier: 'broke' })).rejects.toMatchObject({
      code: 'budget_exceeded',
    })
    await sluice.close()
  })
})
