import { z } from 'zod'
import { dictSchema } from './dict-schema'
import { windowSchema } from './duration-schema'

/** `{ limit: 20, window: '1m' }`; `max` is accepted for `limit`, as in the seed's SCALING_CONFIG. */
export const ruleSchema = z
  .object({
    limit: z.number().int().positive().optional(),
    max: z.number().int().positive().optional(),
    window: windowSchema,
    algorithm: z
      .enum(['fixed-window', 'sliding-window', 'sliding-log', 'token-bucket'])
      .default('sliding-window'),
    /** What one unit is: a request, or a token (for TPM-style limits). */
    unit: z.enum(['requests', 'tokens']).default('requests'),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.limit === undefined && r.max === undefined)
      ctx.addIssue({ code: 'custom', path: ['limit'], message: 'give limit (or max)' })
    if (r.limit !== undefined && r.max !== undefined)
      ctx.addIssue({ code: 'custom', path: ['max'], message: 'give limit or max, not both' })
  })
  .transform((r) => ({
    algorithm: r.algorithm,
    limit: (r.limit ?? r.max)!,
    windowMs: r.window,
    unit: r.unit,
  }))

export type RuleInput = z.input<typeof ruleSchema>
export type Rule = z.output<typeof ruleSchema>

export const limitsSchema = dictSchema(ruleSchema)

export const tierBudgetSchema = z
  .object({
    daily: z.number().nonnegative().optional(),
    monthly: z.number().nonnegative().optional(),
  })
  .strict()

export const tierSchema = z
  .object({
    /** Per-endpoint limits for this tier; endpoints not listed fall back to the top-level `limits`. */
    limits: limitsSchema.prefault({}),
    /**
     * The rule for this tier's calls to an endpoint that neither its `limits` nor the top-level
     * `limits` name (each endpoint counted apart); the top-level `defaultLimit` for tiers without one.
     */
    defaultLimit: ruleSchema.optional(),
    /** Requests per UTC day across all endpoints. */
    dailyTotal: z.number().int().positive().optional(),
    /** USD per UTC day / month. */
    budget: tierBudgetSchema.optional(),
    /** No rate limits and no budget (superadmin). */
    unlimited: z.boolean().default(false),
    /** Default queue priority for this tier's calls (1 high … 10 low). */
    priority: z.number().int().min(1).max(10).optional(),
  })
  .strict()

export type TierInput = z.input<typeof tierSchema>
export type Tier = z.output<typeof tierSchema>

export const tiersSchema = dictSchema(tierSchema)
