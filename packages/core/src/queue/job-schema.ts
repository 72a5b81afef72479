import { z } from 'zod'
import { delaySchema, timerSchema } from '../config/duration-schema'
import { idSchema } from '../config/id-schema'

/** What `enqueue` takes; durations as strings or milliseconds. */
export const jobSchema = z
  .object({
    type: idSchema,
    userId: idSchema,
    data: z.unknown(),
    priority: z.union([z.number().int().min(1).max(10), z.string().min(1)]).optional(),
    maxRetries: z.number().int().min(0).max(100).optional(),
    expireAfter: timerSchema.optional(),
    backoff: delaySchema.optional(),
    /** Not before this long from now. */
    delay: delaySchema.optional(),
    /** Not before this time (epoch ms or a Date). */
    runAt: z.union([z.number().int().nonnegative(), z.date().transform((d) => d.getTime())]).optional(),
    /** Wait for the provider's cheaper hours (`queue.cheapHours`) unless the job would expire first. */
    cheapHours: z.boolean().optional(),
    /** Jobs with the same group may be claimed together by a batch worker (`processBatch(…, { byGroup: true })`). */
    group: z.string().min(1).max(256).optional(),
  })
  .strict()

export type EnqueueInput = z.input<typeof jobSchema>
