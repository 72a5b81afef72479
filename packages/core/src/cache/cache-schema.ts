import { z } from 'zod'
import { dictSchema } from '../config/dict-schema'
import { durationSchema, timerSchema } from '../config/duration-schema'
import { idSchema } from '../config/id-schema'

export const cacheScopeSchema = z.enum(['global', 'user'])
export type CacheScope = z.output<typeof cacheScopeSchema>

export const cacheOptionsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** TTL per cache type (`translation: '24h'`); `default` covers the rest. */
    ttl: dictSchema(durationSchema).prefault({}),
    /**
     * Which cache type each endpoint's answers are (`{ translate: 'translation' }`); an endpoint
     * not listed is its own type. `createSluice` refuses a TTL name that is neither an endpoint
     * it knows nor a type listed here, so a typo cannot silently fall to the default TTL.
     */
    types: dictSchema(idSchema).prefault({}),
    /** `user` keeps one answer per user: use it for personalised prompts. */
    scope: cacheScopeSchema.default('global'),
    /** Types whose answers are personalised, whatever the default scope. */
    userScoped: z.array(idSchema).default([]),
    /**
     * The lease of an identical-request flight's leader, renewed while it runs: if the leader's
     * instance dies, another instance takes the flight over this soon.
     */
    flightLease: timerSchema.prefault('10s'),
  })
  .strict()

export type CacheOptions = z.input<typeof cacheOptionsSchema>
