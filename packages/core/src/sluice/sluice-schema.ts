import { z } from 'zod'
import { cacheOptionsSchema } from '../cache/cache-schema'
import { durationSchema } from '../config/duration-schema'
import { limitsSchema, ruleSchema, tiersSchema } from '../config/limits-schema'
import type { Provider } from '../providers/types'
import { queueOptionsSchema } from '../queue/queue-schema'
import { breakerSchema, retrySchema } from '../resilience/resilience-schema'
import type { Store } from '../store/store'
import type { Logger } from './logging'

const providerSchema = z.custom<Provider>(
  (p) =>
    typeof p === 'object' &&
    p !== null &&
    typeof (p as Provider).chat === 'function' &&
    typeof (p as Provider).name === 'string',
  { message: 'expected a provider, e.g. deepseek({ apiKey }) or openAICompatible({...})' },
)

export const sluiceOptionsSchema = z
  .object({
    store: z
      .custom<Store>((s) => typeof s === 'object' && s !== null && typeof (s as Store).name === 'string', {
        message: 'expected a store, e.g. memoryStore() or redisStore({ client })',
      })
      .optional(),
    /** First is primary, the rest are fallbacks in order. */
    providers: z.array(providerSchema).min(1, { message: 'give at least one provider' }),
    /** Limits per endpoint for every tier. */
    limits: limitsSchema.default({}),
    /** Limit for endpoints named nowhere. */
    defaultLimit: ruleSchema.optional(),
    tiers: tiersSchema.default({}),
    /** Tier for calls that name none. */
    defaultTier: z.string().min(1).optional(),
    cache: cacheOptionsSchema.default(cacheOptionsSchema.parse({})),
    retry: retrySchema.default(retrySchema.parse({})),
    breaker: breakerSchema.default(breakerSchema.parse({})),
    /** Per-attempt timeout of an upstream call. */
    timeout: durationSchema.prefault('60s'),
    budget: z
      .object({
        thresholds: z.array(z.number().positive().max(1)).default([0.8, 1]),
        onStoreError: z.enum(['open', 'closed']).default('closed'),
        /** Output tokens assumed when a request sets no max_tokens (for estimates). */
        defaultMaxTokens: z.number().int().positive().default(1024),
      })
      .strict()
      .default({ thresholds: [0.8, 1], onStoreError: 'closed', defaultMaxTokens: 1024 }),
    rateLimit: z
      .object({ onStoreError: z.enum(['open', 'closed']).default('open') })
      .strict()
      .default({ onStoreError: 'open' }),
    /** Extra or changed model prices, USD per million tokens. */
    prices: z
      .record(
        z.string(),
        z.object({ input: z.number(), cachedInput: z.number().optional(), output: z.number() }).strict(),
      )
      .default({}),
    /** Route chat calls through the durable queue (omit to call providers directly). */
    queue: queueOptionsSchema.extend({ worker: z.boolean().default(true) }).optional(),
    prefix: z.string().min(1).default('sluice'),
    /** A console-like logger; without one Sluice logs nothing (events are always available). */
    logger: z
      .custom<Logger>((l) => typeof l === 'object' && l !== null, {
        message: 'expected a console-like logger',
      })
      .optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.defaultTier !== undefined && !(o.defaultTier in o.tiers)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultTier'],
        message: `'${o.defaultTier}' is not one of the tiers`,
      })
    }
    const names = o.providers.map((p) => p.name)
    const dup = names.find((n, i) => names.indexOf(n) !== i)
    if (dup)
      ctx.addIssue({ code: 'custom', path: ['providers'], message: `two providers are named '${dup}'` })
  })

export type SluiceOptions = z.input<typeof sluiceOptionsSchema>
