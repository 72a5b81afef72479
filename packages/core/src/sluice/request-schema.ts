import { z } from 'zod'
import { durationSchema, timerSchema } from '../config/duration-schema'
import { idSchema } from '../config/id-schema'

const messageSchema = z.looseObject({
  role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']),
  content: z.union([z.string(), z.null(), z.array(z.unknown())]),
  name: z.string().optional(),
})

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(messageSchema).min(1, { message: 'give at least one message' }),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  n: z.literal(1, { message: 'n > 1 is not supported' }).optional(),
})

export const callContextSchema = z
  .object({
    userId: idSchema,
    tier: idSchema.optional(),
    /** An organisation or team (a B2B app's customer): its own budget, `budget.group` / `budget.groups`. */
    group: idSchema.optional(),
    endpoint: idSchema.default('default'),
    /** 1 (high) … 10 (low), or a name from `queue.priorities`. */
    priority: z.union([z.number().int().min(1).max(10), idSchema]).optional(),
    /** For a stream: `false` ends it with its error if it breaks mid-way (no continuation). */
    continueStream: z.boolean().optional(),
    /** `false` skips the cache for this call. */
    cache: z.boolean().default(true),
    /** Cache type (for its TTL); the endpoint's type by default. */
    cacheType: idSchema.optional(),
    cacheTtl: durationSchema.optional(),
    cacheScope: z.enum(['global', 'user']).optional(),
    timeout: timerSchema.optional(),
    signal: z.instanceof(AbortSignal).optional(),
    /** `sluice.call()` only: the model the wrapped call uses, to price it against budgets. */
    model: z.string().min(1).optional(),
    /**
     * `sluice.call()` only, with `queue`: the name of a runner (`options.runners`) the workers
     * have, so the call goes through the queue and runs on a worker (a function cannot travel).
     */
    runner: idSchema.optional(),
    /** USD to reserve for this call instead of Sluice's estimate (needed for unpriced wrapped calls). */
    estimateUsd: z.number().nonnegative().finite().optional(),
  })
  .strict()

export type CallContext = z.input<typeof callContextSchema>
