// Seed 000's SCALING_CONFIG, almost line for line (durations as strings, never bare seconds), and
// the Sluice options it becomes.
import type { SluiceOptions } from '@sluice/core'

export const SCALING_CONFIG = {
  rateLimits: {
    free: {
      check_answer: { max: 10, window: '60s' },
      translate: { max: 20, window: '60s' },
      examples: { max: 5, window: '60s' },
      daily_total: 100,
    },
    premium: {
      check_answer: { max: 50, window: '60s' },
      translate: { max: 100, window: '60s' },
      examples: { max: 30, window: '60s' },
      daily_total: 1000,
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
  cache: { translation: '24h', correction: '1h', evaluation: '1h', examples: '2h', teacher: '30m' },
  costLimits: { free: { daily: 0.1, monthly: 2.0 }, premium: { daily: 5.0, monthly: 100.0 } },
} as const

const { free, premium } = SCALING_CONFIG.rateLimits
const limits = ({ daily_total, ...perEndpoint }: typeof free | typeof premium) => ({
  limits: perEndpoint,
  dailyTotal: daily_total,
})

/** The seed's config as createSluice options (providers and store come from the caller). */
export const tutorOptions = {
  tiers: {
    free: { ...limits(free), budget: SCALING_CONFIG.costLimits.free },
    premium: { ...limits(premium), budget: SCALING_CONFIG.costLimits.premium },
    superadmin: SCALING_CONFIG.rateLimits.superadmin,
  },
  queue: SCALING_CONFIG.queue,
  cache: {
    ttl: SCALING_CONFIG.cache,
    // Which endpoint's answers are which of the seed's cache types.
    types: {
      translate: 'translation',
      check_answer: 'correction',
      evaluate: 'evaluation',
      examples: 'examples',
      ask_teacher: 'teacher',
    },
    // A teacher's answer is personal: never served to another student.
    userScoped: ['teacher'],
  },
  // The seed's batch processing: pending translations into one language answered by one call.
  batch: {
    translate: {
      groupBy: (req: unknown) => String((req as { messages: { content: string }[] }).messages[0]?.content),
      maxSize: 10,
      windowMs: 200,
    },
  },
} satisfies Partial<SluiceOptions>
