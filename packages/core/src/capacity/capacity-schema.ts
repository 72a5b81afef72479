import { z } from 'zod'
import { dictSchema } from '../config/dict-schema'
import { delaySchema, timerSchema } from '../config/duration-schema'

/** A provider's (or one of its models') limits: requests and tokens per window, requests in flight. */
export const capacityLimitsSchema = z
  .object({
    rpm: z.number().int().positive().optional(),
    tpm: z.number().int().positive().optional(),
    concurrency: z.number().int().positive().optional(),
  })
  .strict()

export const capacitySchema = z
  .object({
    /** Pace calls under each provider's limits (on by default: learned limits need no config). */
    enabled: z.boolean().default(true),
    /** The window the providers count rpm and tpm in (a minute); shorter only against a simulator. */
    window: timerSchema.prefault('1m'),
    /**
     * The share of a window's limit that may go at once; past it, calls go at the window's rate
     * (rpm / window), so a full provider's window serves its waiting calls in priority order as
     * it goes. 1: the whole limit at once.
     */
    burst: z
      .number()
      .gt(0)
      .max(1)
      .default(1 / 3),
    /** Longest a call waits for its provider's capacity before it falls back or fails. */
    maxWait: delaySchema.prefault('30s'),
    /**
     * When a provider is full: `wait` for it (up to maxWait), or `fallback` at once to the next
     * provider that serves the model (the last one is waited for).
     */
    whenFull: z.enum(['wait', 'fallback']).default('wait'),
    /** Configured limits by provider name (`models` for a model's own); learned ones fill the rest. */
    providers: dictSchema(
      capacityLimitsSchema.extend({ models: dictSchema(capacityLimitsSchema).optional() }),
    ).prefault({}),
    /** How long a concurrency slot is held at most when its holder dies (default: the attempt timeout + 5 s). */
    lease: timerSchema.optional(),
  })
  .strict()

export type CapacityOptions = z.input<typeof capacitySchema>
export type CapacityLimits = z.output<typeof capacityLimitsSchema>
