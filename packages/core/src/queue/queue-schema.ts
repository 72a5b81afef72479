import { z } from 'zod'
import { durationSchema } from '../config/duration-schema'

export const queueOptionsSchema = z
  .object({
    /** Workers' parallel jobs per process. */
    concurrency: z.number().int().positive().default(10),
    /** Jobs claimed per round trip (the seed's batchSize). */
    batchSize: z.number().int().positive().default(10),
    /** Backstop poll when no wake-up arrives (the seed's pollInterval). */
    pollInterval: durationSchema.prefault('2s'),
    maxRetries: z.number().int().min(0).default(3),
    /** First retry delay; doubles each attempt. */
    backoff: durationSchema.prefault('1s'),
    /** A pending job older than this expires (the seed's expires_at). */
    expireAfter: durationSchema.prefault('5m'),
    /** How long wait() waits by default (the seed's timeout). */
    timeout: durationSchema.prefault('30s'),
    /** A worker holds a job this long, renewing while it runs; a dead worker's job runs again after it. */
    lease: durationSchema.prefault('30s'),
    /** A waiting job gains one priority point per this long. */
    aging: durationSchema.prefault('30s'),
    /** Named priorities, as in the seed. */
    priorities: z.record(z.string(), z.number().int().min(1).max(10)).default({ high: 1, normal: 5, low: 9 }),
  })
  .strict()

export type QueueOptions = z.input<typeof queueOptionsSchema>
