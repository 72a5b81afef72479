import { z } from 'zod'
import { delaySchema } from '../config/duration-schema'

/** What a group key is computed from: the chat request (or wrapped call's input) and its caller. */
export interface BatchCaller {
  userId: string
  endpoint: string
  tier: string | undefined
}

const fn = <F>(what: string) =>
  z.custom<F>((v) => typeof v === 'function', { message: `expected a function ${what}` })

/**
 * Batching for one endpoint: calls whose `groupBy` gives the same key are collected until
 * `maxSize` of them or `windowMs` after the first, then answered by one upstream call. For chats,
 * the built-in packer sends the items as one list-in/list-out prompt; for `sluice.call`, `run`
 * takes the inputs and returns the outputs in order. `groupBy` returning undefined: not batched.
 */
export const batchOptionsSchema = z
  .object({
    groupBy: fn<(input: unknown, caller: BatchCaller) => string | undefined>('(input, caller) => key'),
    maxSize: z.number().int().min(1).max(500).default(20),
    windowMs: delaySchema.default(20),
    run: fn<(inputs: unknown[], signal: AbortSignal) => Promise<unknown[]>>(
      '(inputs, signal) => outputs',
    ).optional(),
  })
  .strict()

export type BatchOptions = z.output<typeof batchOptionsSchema>
