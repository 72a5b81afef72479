import { describe, expect, it } from 'vitest'
import { openAICompatible } from '../providers/openai-compatible'
import { createSluice } from './create-sluice'

const provider = openAICompatible({
  name: 'p',
  baseURL: 'http://127.0.0.1:9/v1',
  defaultModel: 'deepseek-chat',
})

// The seed's SCALING_CONFIG, almost line for line (durations are strings, never bare seconds).
const SCALING_CONFIG = {
  tiers: {
    free: {
      limits: {
        check_answer: { max: 10, window: '60s' },
        translate: { max: 20, window: '60s' },
        examples: { max: 5, window: '60s' },
      },
      dailyTotal: 100,
      budget: { daily: 0.1, monthly: 2.0 },
    },
    premium: {
      limits: {
        check_answer: { max: 50, window: '60s' },
        translate: { max: 100, window: '60s' },
        examples: { max: 30, window: '60s' },
      },
      dailyTotal: 1000,
      budget: { daily: 5.0, monthly: 100.0 },
    },
    superadmin: { unlimited: true },
  },
  queue: {
    batchSize: 10,
    pollInterval: 2000,
    maxRetries: 3,
    timeout: 30000,
    priorities: { high: 1, normal: 5, low: 9 },
  },
  cache: {
    ttl: { translation: '24h', correction: '1h', evaluation: '1h', examples: '2h', teacher: '30m' },
    // The seed names cache types apart from endpoints; say which endpoint's answers are which.
    types: {
      translate: 'translation',
      check_answer: 'correction',
      evaluate: 'evaluation',
      ask_teacher: 'teacher',
    },
  },
} as const

describe('createSluice options', () => {
  it("accepts the seed's SCALING_CONFIG", async () => {
    const sluice = createSluice({
      providers: [provider],
      ...SCALING_CONFIG,
      queue: { ...SCALING_CONFIG.queue, worker: false },
    })
    expect(sluice.limiter.ruleFor('translate', 'premium')).toMatchObject({ limit: 100, windowMs: 60_000 })
    expect(sluice.cache.ttlFor('teacher')).toBe(1_800_000)
    expect(sluice.cache.ttlFor('examples')).toBe(7_200_000)
    await sluice.close()
  })

  const bad: [string, unknown, string][] = [
    ['no providers', { providers: [] }, 'options.providers'],
    ['a provider that is not one', { providers: [{}] }, 'options.providers.0'],
    [
      'a window in bare seconds',
      { providers: [provider], limits: { translate: { max: 20, window: 60 } } },
      'options.limits.translate.window',
    ],
    [
      'a bad TTL',
      { providers: [provider], cache: { ttl: { default: 'a day' } } },
      'options.cache.ttl.default',
    ],
    [
      "a TTL for a type no endpoint has (the seed's translation next to translate)",
      {
        providers: [provider],
        limits: { translate: { max: 1, window: '1m' } },
        cache: { ttl: { translation: '24h' } },
      },
      'options.cache.ttl.translation',
    ],
    [
      'a window of 0s',
      { providers: [provider], limits: { translate: { max: 1, window: '0s' } } },
      'options.limits.translate.window',
    ],
    [
      'a window under a millisecond',
      { providers: [provider], limits: { translate: { max: 1, window: '0.001ms' } } },
      'options.limits.translate.window',
    ],
    [
      'both limit and max',
      { providers: [provider], limits: { translate: { limit: 1, max: 2, window: '1m' } } },
      'options.limits.translate.max',
    ],
    ['a timeout of 0', { providers: [provider], timeout: 0 }, 'options.timeout'],
    ['a timeout past the longest timer', { providers: [provider], timeout: '30d' }, 'options.timeout'],
    ['an unknown option', { providers: [provider], limts: {} }, 'options'],
    [
      'a negative budget',
      { providers: [provider], tiers: { free: { budget: { daily: -1 } } } },
      'options.tiers.free.budget.daily',
    ],
    [
      'a default tier that does not exist',
      { providers: [provider], tiers: { free: {} }, defaultTier: 'gold' },
      'options.defaultTier',
    ],
    [
      'a priority out of range',
      { providers: [provider], queue: { priorities: { high: 0 } } },
      'options.queue.priorities.high',
    ],
    ['two providers with one name', { providers: [provider, provider] }, 'options.providers'],
  ]
  for (const [what, options, path] of bad) {
    it(`refuses ${what} with invalid_config at ${path}`, () => {
      expect(() => createSluice(options as never)).toThrowError(
        expect.objectContaining({ code: 'invalid_config', path }),
      )
    })
  }
})
