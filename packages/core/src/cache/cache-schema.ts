import { z } from 'zod'
import { durationSchema } from '../config/duration-schema'

export const cacheScopeSchema = z.enum(['global', 'user'])
export type CacheScope = z.output<typeof cacheScopeSchema>

export const cacheOptionsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** TTL per cache type (`translation: '24h'`); `default` covers the rest. */
    ttl: z.record(z.string().min(1), durationSchema).default({}),
    /** `user` keeps one answer per user: use it for personalised prompts. */
    scope: cacheScopeSchema.default('global'),
    /** Types whose answers are personalised, whatever the default scope. */
    userScoped: z.array(z.string().min(1)).default([]),
  })
  .strict()

export type CacheOptions = z.input<typeof cacheOptionsSchema>
