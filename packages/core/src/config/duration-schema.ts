import { z } from 'zod'
import { tryParseDuration } from '../util/duration'

function toMs(value: number | string, ctx: z.RefinementCtx): number {
  const ms = tryParseDuration(value)
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like '60s', '1m', '24h' or milliseconds` })
    return z.NEVER
  }
  return ms
}

/** A duration string ('60s', '1m', '24h') or milliseconds, parsed to milliseconds. */
export const durationSchema = z.union([z.number(), z.string()]).transform(toMs)

/**
 * A rate-limit window. Bare numbers are milliseconds; a number under 1000 is almost always
 * seconds written by mistake (`window: 60`), so it is refused with a hint.
 */
export const windowSchema = z
  .union([
    z.number().min(1000, { message: `a number is milliseconds: write '60s' (or 60000), not 60` }),
    z.string(),
  ])
  .transform(toMs)
