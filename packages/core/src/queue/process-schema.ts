import { z } from 'zod'

export const processBatchSchema = z
  .object({
    /** Most jobs one claim hands the handler. */
    maxSize: z.number().int().min(1).max(1000),
    /** One group per claim (jobs enqueued with the same `group`); a job without one comes alone. */
    byGroup: z.boolean().default(false),
  })
  .strict()

export const processSchema = z
  .object({
    concurrency: z.number().int().positive().optional(),
    /** Jobs claimed per round trip (per-job handlers). */
    batchSize: z.number().int().positive().optional(),
    batch: processBatchSchema.optional(),
  })
  .strict()

export type ProcessBatchOptions = z.input<typeof processBatchSchema>
export type ProcessOptions = z.input<typeof processSchema>
