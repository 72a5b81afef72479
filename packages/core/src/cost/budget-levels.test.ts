import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceError } from '../errors/sluice-error'
import { memoryStore } from '../memory/memory-store'
import { deepseek } from '../providers/deepseek'
import { createSluice } from '../sluice/create-sluice'
import { CostTracker } from './cost-tracker'
import type { ThresholdEvent } from './thresholds'

let sim: Simulator
let long: Simulator
beforeAll(async () => {
  sim = await startSimulator({ profile: 'deepseek', latencyMs: { min: 1, max: 2 } })
  long = await startSimulator({ profile: 'deepseek', latencyMs: { min: 1, max: 2 }, longAnswers: true })
})
afterAll(async () => {
  await sim.close()
  await long.close()
})

const ask = (content: string, max_tokens = 400) => ({
  model: 'deepseek-chat',
  messages: [{ role: 'user' as const, content }],
  max_tokens,
})
const code = (e: unknown) => (e as SluiceError).code

describe('budgets above the user', () => {
  it("an app-wide daily budget holds across users: the refusal names the app's budget", async () => {
    const sluice = createSluice({
      providers: [deepseek({ baseURL: long.url, apiKey: 'sim' })],
      budget: { app: { daily: 0.001 } }, // ~5 of these calls at $0.000185 each
      cache: { enabled: false },
    })
    const events: ThresholdEvent[] = []
    sluice.on('budget:threshold', (e) => events.push(e))
    const outcomes: string[] = []
    for (let i = 0; i < 12; i++)
      outcomes.push(await sluice.chat(ask(`q${i}`), { userId: `u${i % 3}` }).then(() => 'ok', code))
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThan(2)
    expect(outcomes.at(-1)).toBe('budget_exceeded')
    const refused = await sluice.chat(ask('more'), { userId: 'someone-new' }).catch((e: unknown) => e)
    expect(refused).toMatchObject({
      code: 'budget_exceeded',
      details: { level: 'app', period: 'day', limitUsd: 0.001 },
    })
    expect((refused as Error).message).toContain("the app's daily budget")
    expect(events.some((e) => e.level === 'app' && e.ratio === 0.8)).toBe(true)
    const spent = await sluice.cost.levelSpend('app')
    // The default mode's bound: the reservations fit, and the answers (all as long as max_tokens
    // allows here) overran them by what each was longer than expected.
    expect(spent).toBeGreaterThan(0.0008)
    await sluice.close()
  })

  it("an endpoint's and a group's budgets, each its own; a group without one of its own has `group`'s", async () => {
    const sluice = createSluice({
      providers: [deepseek({ baseURL: sim.url, apiKey: 'sim' })],
      budget: { endpoints: { summarise: { daily: 0 } }, group: { daily: 1 }, groups: { acme: { daily: 0 } } },
      cache: { enabled: false },
    })
    await expect(sluice.chat(ask('a'), { userId: 'u', endpoint: 'summarise' })).rejects.toMatchObject({
      code: 'budget_exceeded',
      details: { level: 'endpoint', endpoint: 'summarise' },
    })
    await expect(sluice.chat(ask('b'), { userId: 'u', group: 'acme' })).rejects.toMatchObject({
      code: 'budget_exceeded',
      details: { level: 'group', group: 'acme' },
    })
    const ok = await sluice.chat(ask('c'), { userId: 'u', group: 'globex' })
    expect(await sluice.cost.levelSpend('group', 'globex')).toBeCloseTo(ok.sluice.costUsd, 12)
    expect(await sluice.cost.spend('u')).toBeCloseTo(ok.sluice.costUsd, 12)
    await sluice.close()
  })

  it('strict: max_tokens is capped to what the tightest budget has left, so even the longest answers stay within it', async () => {
    const sluice = createSluice({
      providers: [deepseek({ baseURL: long.url, apiKey: 'sim' })],
      budget: { app: { daily: 0.001 }, mode: 'strict' },
      cache: { enabled: false },
    })
    const answers: number[] = []
    for (let i = 0; ; i++) {
      const res = await sluice.chat(ask(`q${i}`), { userId: `u${i % 3}` }).catch((e: unknown) => e)
      if (code(res) === 'budget_exceeded') break
      answers.push((res as { usage: { completion_tokens: number } }).usage.completion_tokens)
    }
    expect(answers.slice(0, 3)).toEqual([400, 400, 400]) // whole while there was room
    expect(answers.at(-1)).toBeLessThan(400) // the last one cut to what was left
    expect(await sluice.cost.levelSpend('app')).toBeLessThanOrEqual(0.001 + 1e-12)
    await sluice.close()
  })
})

describe("docs/cost-control.md's examples", () => {
  it('the levels, the prices by the hour and the overrides, as written there', async () => {
    const providers = [deepseek({ baseURL: sim.url, apiKey: 'sim' })]
    const levels = createSluice({
      providers,
      tiers: {
        free: { budget: { daily: 1 } },
        premium: { budget: { daily: 20 } },
        superadmin: { unlimited: true },
      },
      budget: {
        app: { daily: 30, monthly: 900 }, // seed 000's plan: $900 a month
        endpoints: { summarise: { daily: 5 } },
        group: { daily: 50 }, // every customer
        groups: { acme: { daily: 200 } }, // one customer's own
      },
    })
    const res = await levels.chat(ask('hello'), {
      userId: 'u',
      tier: 'free',
      group: 'acme',
      endpoint: 'summarise',
    })
    for (const [level, of] of [['app'], ['group', 'acme'], ['endpoint', 'summarise']] as const)
      expect(await levels.cost.levelSpend(level, of)).toBeCloseTo(res.sluice.costUsd, 12)
    await levels.close()

    const priced = createSluice({
      providers,
      prices: {
        'deepseek-chat': {
          input: 0.28,
          cachedInput: 0.028,
          output: 0.42,
          hours: [{ from: '16:30', to: '00:30', input: 0.14, cachedInput: 0.014, output: 0.21 }], // off-peak
        },
      },
    })
    const usage = { prompt_tokens: 1_000_000, completion_tokens: 0, total_tokens: 1_000_000 }
    expect(priced.price('deepseek-chat', usage, Date.parse('2026-12-03T17:00:00Z'))).toBeCloseTo(0.14, 12)
    expect(priced.price('deepseek-chat', usage, Date.parse('2026-12-03T12:00:00Z'))).toBeCloseTo(0.28, 12)
    await priced.close()

    const sluice = createSluice({ providers, overrides: { refresh: '1s' }, tiers: { free: {} } })
    const audited: unknown[] = []
    const audit = (...facts: unknown[]) => audited.push(facts)
    await sluice.overrides!.set(
      { userId: 'user-42' },
      { budget: { daily: 10 }, reason: 'bought credits' },
      { ttl: '30d', by: 'billing' },
    )
    sluice.on('override:set', ({ target, override, by }) => audit(target, override, by))
    await sluice.overrides!.set(
      { userId: 'user-7' },
      { limits: { chat: { limit: 100, window: '1m' } } },
      { ttl: '1h' },
    )
    await sluice.overrides!.set({ group: 'acme' }, { blocked: true, reason: 'unpaid' }, { ttl: '7d' })
    expect(await sluice.overrides!.get({ userId: 'user-42' })).toMatchObject({
      budget: { daily: 10 },
      by: 'billing',
    })
    await expect(sluice.chat(ask('hi'), { userId: 'someone', group: 'acme' })).rejects.toMatchObject({
      code: 'forbidden',
    })
    await sluice.overrides!.clear({ group: 'acme' })
    expect((await sluice.chat(ask('hi'), { userId: 'someone', group: 'acme' })).choices.length).toBe(1)
    expect(audited.length).toBe(2)
    await sluice.close()
  })
})

describe('spend reports', () => {
  it('count cache hits (cost 0) in the cached share, per user, endpoint, tier and day', async () => {
    const store = memoryStore()
    const sluice = createSluice({
      store,
      providers: [deepseek({ baseURL: sim.url, apiKey: 'sim' })],
      tiers: { free: {} },
    })
    const first = await sluice.chat(ask('the same question'), {
      userId: 'ana',
      tier: 'free',
      endpoint: 'faq',
    })
    const hit = await sluice.chat(ask('the same question'), { userId: 'bo', tier: 'free', endpoint: 'faq' })
    expect(hit.sluice.cached).toBe(true)
    await sluice.close() // writes the hits' rows that were waiting
    const report = await new CostTracker({ store }).report()
    expect(report).toMatchObject({ requests: 2, cachedRequests: 1, cachedShare: 0.5 })
    expect(report.totalUsd).toBeCloseTo(first.sluice.costUsd, 12)
    const day = new Date().toISOString().slice(0, 10)
    expect(report.lines.sort((a, b) => a.userId.localeCompare(b.userId))).toEqual([
      {
        day,
        userId: 'ana',
        endpoint: 'faq',
        tier: 'free',
        usd: first.sluice.costUsd,
        requests: 1,
        cachedRequests: 0,
      },
      { day, userId: 'bo', endpoint: 'faq', tier: 'free', usd: 0, requests: 1, cachedRequests: 1 },
    ])
  })
})
