import { z } from 'zod'
import { delaySchema, timerSchema } from '../config/duration-schema'

export const retrySchema = z
  .object({
    /** Retries after the first attempt, per provider. */
    retries: z.number().int().min(0).max(20).default(3),
    minTimeout: delaySchema.default(250),
    maxTimeout: delaySchema.prefault('10s'),
    factor: z.number().min(1).default(2),
    /** A Retry-After longer than this is not waited for: the call falls back at once. */
    maxRetryAfter: delaySchema.prefault('30s'),
  })
  .strict()

export const breakerSchema = z
  .object({
    /** Calls in the rolling window before the breaker may open. */
    failureThreshold: z.number().int().positive().default(5),
    /** Share of failed calls in the window that opens it, in percent. */
    errorPercentage: z.number().min(1).max(100).default(50),
    /** How long it stays open before one probe call is let through. */
    resetTimeout: timerSchema.prefault('60s'),
    rollingWindow: timerSchema.prefault('10s'),
  })
  .strict()

export type RetryOptions = z.input<typeof retrySchema>
export type BreakerOptions = z.input<typeof breakerSchema>
