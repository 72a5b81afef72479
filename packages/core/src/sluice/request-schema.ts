import { z } from 'zod'
import { durationSchema } from '../config/duration-schema'

const messageSchema = z.looseObject({
  role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']),
  content: z.union([z.string(), z.null(), z.array(z.unknown())]),
  name: z.string().optional(),
})

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(messageSchema).min(1, { message: 'give at least one message' }),
  max_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  n: z.literal(1, { message: 'n > 1 is not supported' }).optional(),
})

export const callContextSchema = z
  .object({
    userId: z.string().min(1).max(256),
    tier: z.string().min(1).optional(),
    endpoint: z.string().min(1).max(128).default('default'),
    /** 1 (high) … 10 (low), or a name from `queue.priorities`. */
    priority: z.union([z.number().int().min(1).max(10), z.string().min(1)]).optional(),
    /** `false` skips the cache for this call. */
    cache: z.boolean().default(true),
    /** Cache type (for its TTL); the endpoint by default. */
    cacheType: z.string().min(1).optional(),
    cacheTtl: durationSchema.optional(),
    cacheScope: z.enum(['global', 'user']).optional(),
    timeout: durationSchema.optional(),
    signal: z.instanceof(AbortSignal).optional(),
  })
  .strict()

export type CallContext = z.input<typeof callContextSchema>
