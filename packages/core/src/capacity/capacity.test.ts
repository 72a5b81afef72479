import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterEach, describe, expect, it } from 'vitest'
import { SluiceError } from '../errors/sluice-error'
import { toHttp } from '../errors/to-http'
import { memoryStore } from '../memory/memory-store'
import { deepseek } from '../providers/deepseek'
import { groq } from '../providers/groq'
import type { ChatCompletion, Provider } from '../providers/types'
import { createSluice } from '../sluice/create-sluice'

const sims: Simulator[] = []
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()))
})
const ask = (content: string) => ({
  model: 'llama-3.3-70b-versatile',
  messages: [{ role: 'user' as const, content }],
  max_tokens: 50,
})

describe('provider capacity', () => {
  it('learns the limits from the headers and sends nothing into a full window', async () => {
    const gq = await startSimulator({
      profile: 'groq',
      latencyMs: { min: 1, max: 2 },
      rpm: 3,
      tpm: 0,
      windowMs: 1_500,
    })
    sims.push(gq)
    const sluice = createSluice({
      providers: [groq({ baseURL: gq.url })],
      capacity: { window: 1_500, maxWait: 100, burst: 1 }, // the whole window at once: no pacing
      cache: { enabled: false },
    })
    const outcomes: string[] = []
    for (let i = 0; i < 5; i++)
      outcomes.push(
        await sluice.chat(ask(`q${i}`), { userId: 'u' }).then(
          () => 'ok',
          (e: SluiceError) => e.code,
        ),
      )
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'capacity_exceeded', 'capacity_exceeded'])
    expect(gq.stats).toMatchObject({ requests: 3, rateLimited: 0 })
    const [view] = (await sluice.stats()).capacity
    expect(view).toMatchObject({
      provider: 'groq',
      model: 'llama-3.3-70b-versatile',
      limits: { rpm: 3 },
      refused: 2,
    })
    expect(await sluice.prometheus()).toContain(
      'sluice_capacity_limit{provider="groq",model="llama-3.3-70b-versatile",kind="requests"} 3',
    )
    // Waited for, within maxWait, the next window answers.
    const patient = createSluice({
      providers: [groq({ baseURL: gq.url })],
      capacity: { window: 1_500, maxWait: '5s' },
      cache: { enabled: false },
    })
    await sluice.close()
    const later = await patient.chat(ask('later'), { userId: 'u' })
    expect(later.choices[0]?.message.content).toBeTruthy()
    expect(later.sluice.capacityWaitMs).toBeGreaterThan(50) // it waited for the next window
    await patient.close()
  })

  it('paces a full window: a third of it at once, the rest at its rate, in priority order', async () => {
    const gq = await startSimulator({
      profile: 'groq',
      latencyMs: { min: 1, max: 2 },
      rpm: 6,
      tpm: 0,
      windowMs: 1_500,
    })
    sims.push(gq)
    const sluice = createSluice({
      providers: [groq({ baseURL: gq.url, apiKey: 'sim' })],
      capacity: { window: 1_500, maxWait: '10s', providers: { groq: { rpm: 6 } } },
      tiers: { free: { priority: 8 }, premium: { priority: 1 } },
      cache: { enabled: false },
    })
    const t0 = Date.now()
    const done: [string, number][] = []
    await Promise.all(
      ['free', 'free', 'free', 'premium', 'premium', 'premium'].map((tier, i) =>
        sluice.chat(ask(`p${i}`), { userId: `u${i}`, tier }).then(() => done.push([tier, Date.now() - t0])),
      ),
    )
    expect(gq.stats).toMatchObject({ requests: 6, rateLimited: 0 })
    // Two went at once (the first asker, alone in line, and the next in it); then one each
    // ~258 ms (6 a window of 1,550 ms, its margin counted): every premium before the free waiting.
    const order = done.map(([tier]) => tier)
    expect(order.slice(-2)).toEqual(['free', 'free'])
    expect(order.slice(1, 4)).toEqual(['premium', 'premium', 'premium'])
    const times = done.map(([, ms]) => ms)
    for (let i = 2; i < 6; i++) expect(times[i]!).toBeGreaterThanOrEqual((i - 1) * 250) // ms since they asked
    await sluice.close()
  })

  it("a provider's 429 is capacity: the call waits it out and is answered; the breaker stays closed", async () => {
    let calls = 0
    const full: Provider = {
      name: 'full',
      models: ['m'],
      defaultModel: 'm',
      async chat(): Promise<ChatCompletion> {
        if (++calls <= 3) {
          throw new SluiceError('provider_error', 'full: 429 rate limited', {
            status: 429,
            retryable: true,
            retryAfterMs: 100,
            provider: 'full',
          })
        }
        return {
          id: 'x',
          object: 'chat.completion',
          created: 0,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'at last' }, finish_reason: 'stop' }],
        }
      },
      async *stream() {},
    }
    const sluice = createSluice({
      providers: [full],
      breaker: { failureThreshold: 1 },
      retry: { retries: 0 },
      capacity: { maxWait: '5s' },
      cache: { enabled: false },
    })
    const res = await sluice.chat(
      { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
      { userId: 'u' },
    )
    expect(res.choices[0]?.message.content).toBe('at last')
    expect(sluice.agent.breakerStates().full).toBe('closed')
    expect((await sluice.stats()).capacity[0]).toMatchObject({ upstream429: 3 })
    await sluice.close()
  })

  it('a queue worker claims only what capacity allows: the backlog waits in the store, in priority order', async () => {
    const gq = await startSimulator({
      profile: 'groq',
      latencyMs: { min: 1, max: 2 },
      rpm: 2,
      tpm: 0,
      windowMs: 1_000,
    })
    sims.push(gq)
    const sluice = createSluice({
      providers: [groq({ baseURL: gq.url, apiKey: 'sim' })],
      capacity: { window: 1_000, maxWait: '20s', burst: 1, providers: { groq: { rpm: 2 } } },
      tiers: { free: { priority: 8 }, premium: { priority: 1 } },
      queue: { pollInterval: 50 },
      cache: { enabled: false },
    })
    const answered: string[] = []
    const asked = (name: string, tier: string) =>
      sluice.chat(ask(name), { userId: name, tier }).then(() => answered.push(name))
    const settle = () => new Promise((r) => setTimeout(r, 150))
    const free = ['f1', 'f2', 'f3'].map((n) => asked(n, 'free'))
    while (answered.length < 2) await new Promise((r) => setTimeout(r, 20))
    await settle() // f3 waits for the next window on the worker
    // A backlog builds while it waits: the worker (nine slots free) claims none of it.
    free.push(...['f4', 'f5', 'f6'].map((n) => asked(n, 'free')))
    await settle()
    expect(await sluice.queue!.counts()).toMatchObject({ active: 1, pending: 3 })
    const premium = asked('p1', 'premium')
    await settle()
    expect(await sluice.queue!.counts()).toMatchObject({ active: 1, pending: 4 })
    await Promise.all([...free, premium])
    // The premium job, queued after them, went next: before the three free jobs that waited in the store.
    expect(answered.indexOf('p1')).toBe(3)
    expect(gq.stats).toMatchObject({ requests: 7, rateLimited: 0 })
    await sluice.close()
  }, 20_000)

  it('a queued chat whose provider stays full rejects with capacity_exceeded, 503 with Retry-After', async () => {
    const gq = await startSimulator({
      profile: 'groq',
      latencyMs: { min: 1, max: 2 },
      rpm: 1,
      tpm: 0,
      windowMs: 5_000,
    })
    sims.push(gq)
    const sluice = createSluice({
      providers: [groq({ baseURL: gq.url })],
      capacity: { window: 5_000, maxWait: 100 },
      queue: { pollInterval: 50 },
      cache: { enabled: false },
    })
    await sluice.chat(ask('first'), { userId: 'u' })
    const e = await sluice.chat(ask('second'), { userId: 'u' }).catch((x: unknown) => x)
    expect(e).toMatchObject({ code: 'capacity_exceeded', provider: 'groq' })
    const http = toHttp(e)
    expect(http.status).toBe(503)
    expect(Number(http.headers['Retry-After'])).toBeGreaterThan(0)
    expect(gq.stats.requests).toBe(1)
    await sluice.close()
  })

  it("the README's capacity example: configured limits, a pool of three keys, the revoked-key event, stats", async () => {
    const [keyA, keyB, keyC] = ['key-a-000001', 'key-b-000002', 'key-c-000003']
    const ds = await startSimulator({ profile: 'deepseek', latencyMs: { min: 1, max: 2 }, maxConcurrent: 8 })
    const gq = await startSimulator({
      profile: 'groq',
      latencyMs: { min: 1, max: 2 },
      apiKeys: [keyA, keyB, keyC],
    })
    sims.push(ds, gq)
    const store = memoryStore()
    const apiKey = 'sim'
    const alerts: string[] = []
    const alert = (m: string) => alerts.push(m)
    const paced = createSluice({
      store,
      providers: [
        deepseek({ apiKey, baseURL: ds.url }),
        groq({ apiKeys: [keyA, keyB, keyC], baseURL: gq.url }), // a pool of three keys
      ],
      capacity: {
        providers: { deepseek: { concurrency: 8 }, groq: { rpm: 30, tpm: 6000 } }, // per key for a pool
        maxWait: '30s', // then capacity_exceeded (503 + Retry-After)
        whenFull: 'wait', // or 'fallback': straight on to the next provider that has room
      },
      cache: { enabled: false },
    })
    paced.on('key:revoked', ({ provider, key }) => alert(`${provider} refused ${key}`))
    gq.revokeKey(keyA)
    for (let i = 0; i < 6; i++) await paced.chat(ask(`pool ${i}`), { userId: 'u' })
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        paced.chat(
          { model: 'deepseek-chat', messages: [{ role: 'user', content: `d${i}` }] },
          { userId: 'u' },
        ),
      ),
    )
    expect(alerts).toEqual(['groq refused key-1'])
    expect(gq.requestsByKey[keyA]).toBe(1) // refused once, then out of the pool
    expect((gq.requestsByKey[keyB] ?? 0) + (gq.requestsByKey[keyC] ?? 0)).toBe(6)
    expect(ds.stats).toMatchObject({ ok: 20, concurrencyLimited: 0 })
    const views = (await paced.stats()).capacity
    expect(views.find((v) => v.key === 'key-1')).toMatchObject({ provider: 'groq', revoked: true })
    expect(views.find((v) => v.provider === 'deepseek')).toMatchObject({
      limits: { concurrency: 8 },
      granted: 20,
    })
    await paced.close()
  })

  it('a stream holds its concurrency slot until it ends, not only to its first chunk', async () => {
    let open = 0
    let most = 0
    const chunk = (content: string, finish: string | null = null) => ({
      id: 's',
      object: 'chat.completion.chunk' as const,
      created: 0,
      model: 'm',
      choices: [{ index: 0, delta: { content }, finish_reason: finish }],
    })
    const slow: Provider = {
      name: 'slow',
      models: ['m'],
      defaultModel: 'm',
      async chat(): Promise<ChatCompletion> {
        throw new Error('streams only')
      },
      async *stream() {
        open++
        most = Math.max(most, open)
        try {
          for (const word of ['one ', 'two ', 'three']) {
            await new Promise((r) => setTimeout(r, 40))
            yield chunk(word)
          }
          yield chunk('', 'stop')
        } finally {
          open--
        }
      },
    }
    const sluice = createSluice({
      providers: [slow],
      capacity: { providers: { slow: { concurrency: 2 } } },
      cache: { enabled: false },
    })
    const read = async (i: number) => {
      let text = ''
      const request = { model: 'm', messages: [{ role: 'user' as const, content: `s${i}` }] }
      for await (const c of sluice.stream(request, { userId: `u${i}` }))
        text += c.choices[0]?.delta.content ?? ''
      return text
    }
    expect(await Promise.all([0, 1, 2, 3].map(read))).toEqual(Array(4).fill('one two three'))
    expect(most).toBe(2)
    expect((await sluice.stats()).capacity[0]).toMatchObject({ inFlight: 0, granted: 4 })
    await sluice.close()
  })
})
