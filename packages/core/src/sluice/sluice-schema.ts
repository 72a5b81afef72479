import { z } from 'zod'
import { batchOptionsSchema } from '../batch/batch-schema'
import { cacheOptionsSchema } from '../cache/cache-schema'
import { capacitySchema } from '../capacity/capacity-schema'
import { dictSchema } from '../config/dict-schema'
import { timerSchema } from '../config/duration-schema'
import { idSchema } from '../config/id-schema'
import { limitsSchema, ruleSchema, tiersSchema } from '../config/limits-schema'
import { levelBudgetsSchema } from '../cost/budget-levels'
import { priceSchema } from '../cost/cost-tracker'
import type { Provider } from '../providers/types'
import { queueOptionsSchema } from '../queue/queue-schema'
import { breakerSchema, retrySchema } from '../resilience/resilience-schema'
import type { Store } from '../store/store'
import type { OtelApiLike } from '../telemetry/otel-like'
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
    limits: limitsSchema.prefault({}),
    /** Limit for endpoints named nowhere. */
    defaultLimit: ruleSchema.optional(),
    tiers: tiersSchema.prefault({}),
    /** Tier for calls that name none. */
    defaultTier: idSchema.optional(),
    cache: cacheOptionsSchema.prefault({}),
    retry: retrySchema.default(retrySchema.parse({})),
    breaker: breakerSchema.default(breakerSchema.parse({})),
    /** Per-attempt timeout of an upstream call. */
    timeout: timerSchema.prefault('60s'),
    /**
     * Provider capacity shared by the fleet: each provider's (and model's) rpm, tpm and
     * concurrency, configured here or learned from its x-ratelimit-* headers and 429s. On by default.
     */
    capacity: capacitySchema.prefault({}),
    /**
     * Streams that break mid-way: plain text continues on the next provider that serves the model
     * (`continue`, on by default; off per endpoint, or per call with `ctx.continueStream`), at most
     * `maxContinuations` times. Tool calls and reasoning never continue: the stream ends with its error.
     */
    streams: z
      .object({
        continue: z.boolean().default(true),
        maxContinuations: z.number().int().min(0).max(5).default(1),
        /** With no other provider for the model, continue on the same one (a retry from the text sent). */
        sameProvider: z.boolean().default(false),
        endpoints: dictSchema(z.object({ continue: z.boolean() }).strict()).prefault({}),
      })
      .strict()
      .prefault({}),
    /**
     * Run-time overrides of a user's or group's tier, limits, budget or access
     * (`sluice.overrides`), held in the store: every instance applies a change within `refresh`.
     * Off unless given (each user's override is then read once a `refresh` per instance).
     */
    overrides: z
      .object({ refresh: timerSchema.prefault('1s') })
      .strict()
      .optional(),
    budget: z
      .object({
        thresholds: z.array(z.number().positive().max(1)).default([0.8, 1]),
        onStoreError: z.enum(['open', 'closed']).default('closed'),
        /** Output tokens assumed when a request sets no max_tokens and its endpoint has no history yet. */
        defaultMaxTokens: z.number().int().positive().default(1024),
        /** Price for models the table lacks; without it, unpriced calls under a budget are refused. */
        fallbackPrice: priceSchema.optional(),
        // Budgets above the user (the app, endpoints, groups) and the budget mode.
        ...levelBudgetsSchema,
      })
      .strict()
      .prefault({}),
    /**
     * The largest chat request accepted, in bytes of JSON (1 MiB by default). A bigger one is
     * refused with invalid_request before anything is sent, retried or counted.
     */
    maxRequestBytes: z.number().int().positive().default(1_048_576),
    rateLimit: z
      .object({ onStoreError: z.enum(['open', 'closed']).default('open') })
      .strict()
      .default({ onStoreError: 'open' }),
    /** Extra or changed model prices, USD per million tokens. */
    prices: dictSchema(priceSchema).prefault({}),
    /** Per endpoint: group similar calls and answer each group with one upstream call. */
    batch: dictSchema(batchOptionsSchema).prefault({}),
    /**
     * What a worker runs queued `sluice.call()`s with, by name (`ctx.runner`): a function
     * `(input, signal) => result`, or a list of `{ name, run }` to fall back through.
     */
    runners: dictSchema(
      z.custom<RunnerOption>(
        (v) =>
          typeof v === 'function' ||
          (Array.isArray(v) &&
            v.length > 0 &&
            v.every((t) => typeof t?.run === 'function' && typeof t?.name === 'string' && t.name.length > 0)),
        { message: 'expected a function (input, signal) => result, or a list of { name, run }' },
      ),
    ).prefault({}),
    /** Route chat calls through the durable queue (omit to call providers directly). */
    queue: queueOptionsSchema.extend({ worker: z.boolean().default(true) }).optional(),
    prefix: z.string().min(1).default('sluice'),
    /**
     * OpenTelemetry: pass the `@opentelemetry/api` module you installed (`import * as otel from
     * '@opentelemetry/api'`) for a span per call and child spans per upstream attempt.
     */
    telemetry: z
      .object({
        otel: z.custom<OtelApiLike>(
          (v) =>
            typeof v === 'object' &&
            v !== null &&
            typeof (v as { trace?: { getTracer?: unknown } }).trace?.getTracer === 'function',
          { message: "expected the '@opentelemetry/api' module" },
        ),
      })
      .strict()
      .optional(),
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
    checkCacheNames(o, ctx)
    const names = o.providers.map((p) => p.name)
    const dup = names.find((n, i) => names.indexOf(n) !== i)
    if (dup)
      ctx.addIssue({ code: 'custom', path: ['providers'], message: `two providers are named '${dup}'` })
  })

export type SluiceOptions = z.input<typeof sluiceOptionsSchema>

type RunFn = (input: unknown, signal: AbortSignal) => Promise<unknown>
export type RunnerOption = RunFn | { name: string; run: RunFn }[]

interface Named {
  limits: Record<string, unknown>
  batch: Record<string, unknown>
  tiers: Record<string, { limits: Record<string, unknown> }>
  cache: { ttl: Record<string, unknown>; types: Record<string, string>; userScoped: string[] }
}

/**
 * Every cache TTL name (and user-scoped type) must be `default`, an endpoint the options name
 * (in limits, tier limits or cache.types) or a type that cache.types maps an endpoint to — so
 * the seed's `translation` next to an endpoint `translate` is an error, not a silent default.
 */
function checkCacheNames(o: Named, ctx: z.RefinementCtx): void {
  const known = new Set<string>([
    'default',
    ...Object.keys(o.limits),
    ...Object.keys(o.batch),
    ...Object.keys(o.cache.types),
  ])
  for (const tier of Object.values(o.tiers)) for (const e of Object.keys(tier.limits)) known.add(e)
  for (const type of Object.values(o.cache.types)) known.add(type)
  const hint = (name: string) =>
    `no endpoint or cache type is named '${name}'; map endpoints to it with cache.types, e.g. { translate: '${name}' }`
  for (const name of Object.keys(o.cache.ttl))
    if (!known.has(name)) ctx.addIssue({ code: 'custom', path: ['cache', 'ttl', name], message: hint(name) })
  for (const [i, name] of o.cache.userScoped.entries())
    if (!known.has(name))
      ctx.addIssue({ code: 'custom', path: ['cache', 'userScoped', i], message: hint(name) })
}
