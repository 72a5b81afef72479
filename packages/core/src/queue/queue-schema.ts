import { z } from 'zod'
import { dictSchema } from '../config/dict-schema'
import { delaySchema, timerSchema } from '../config/duration-schema'
import { cheapWindowSchema } from './cheap-hours'

export const queueOptionsSchema = z
  .object({
    /** Workers' parallel jobs per process. */
    concurrency: z.number().int().positive().default(10),
    /** Jobs claimed per round trip (the seed's batchSize). */
    batchSize: z.number().int().positive().default(10),
    /** Backstop poll when no wake-up arrives (the seed's pollInterval). */
    pollInterval: timerSchema.prefault('2s'),
    maxRetries: z.number().int().min(0).default(3),
    /** First retry delay; doubles each attempt. */
    backoff: delaySchema.prefault('1s'),
    /** A pending job older than this expires (the seed's expires_at). */
    expireAfter: timerSchema.prefault('5m'),
    /** How long wait() waits by default (the seed's timeout). */
    timeout: timerSchema.prefault('30s'),
    /** A worker holds a job this long, renewing while it runs; a dead worker's job runs again after it. */
    lease: timerSchema.prefault('30s'),
    /** A waiting job gains one priority point per this long. */
    aging: timerSchema.prefault('30s'),
    /**
     * Round robin between users: each unfinished job a user already has puts their next one this
     * much later in line (as much as `aging`, a priority point, by default).
     */
    turn: delaySchema.optional(),
    /**
     * A provider's cheaper hours, as daily UTC windows (DeepSeek's off-peak: `{ from: '16:30', to:
     * '00:30' }`). Jobs that ask for them (`cheapHours: true`), or whose priority is at least
     * `cheapFromPriority`, wait for the next window unless their deadline (expiry) comes first.
     */
    cheapHours: z.array(cheapWindowSchema).default([]),
    cheapFromPriority: z.number().int().min(1).max(10).optional(),
    /**
     * Most pending jobs one user may have; past it, that user's enqueue is refused with
     * `rate_limited` while everyone else's still goes in.
     */
    maxPendingPerUser: z.number().int().positive().default(1000),
    /** Named priorities, as in the seed. */
    priorities: dictSchema(z.number().int().min(1).max(10)).prefault({ high: 1, normal: 5, low: 9 }),
  })
  .strict()

export type QueueOptions = z.input<typeof queueOptionsSchema>
