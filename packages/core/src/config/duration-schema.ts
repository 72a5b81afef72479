import { z } from 'zod'
import { tryParseDuration } from '../util/duration'

const MESSAGE = `expected a duration like '60s', '1m', '24h' or whole milliseconds`

/** The longest delay a JS timer honours (2^31 − 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647

function toMs(min: number, tooShort: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: number | string, ctx: z.RefinementCtx): number => {
    const ms = tryParseDuration(value)
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: MESSAGE })
      return z.NEVER
    }
    if (ms < min || ms > max) {
      ctx.addIssue({
        code: 'custom',
        message: ms < min ? tooShort : 'must be at most 24 days (the longest timer)',
      })
      return z.NEVER
    }
    return ms
  }
}

/** A duration string ('60s', '1m', '24h') or whole milliseconds, parsed to milliseconds; 0 allowed. */
export const durationSchema = z.union([z.number(), z.string()]).transform(toMs(0, MESSAGE))

/** A timer's delay (timeouts, leases, intervals): longer than zero, at most 24 days. */
export const timerSchema = z
  .union([z.number(), z.string()])
  .transform(toMs(1, 'must be longer than 0ms', MAX_TIMER_MS))

/** A delay that may be zero (backoffs, waits), at most 24 days. */
export const delaySchema = z.union([z.number(), z.string()]).transform(toMs(0, MESSAGE, MAX_TIMER_MS))

/** The shortest rate-limit window: below a second, a window limits next to nothing. */
export const MIN_WINDOW_MS = 1000

/**
 * A rate-limit window, at least one second. Bare numbers are milliseconds; a number under 1000
 * is almost always seconds written by mistake (`window: 60`), so it is refused with a hint.
 */
export const windowSchema = z
  .union([
    z.number().min(MIN_WINDOW_MS, { message: `a number is milliseconds: write '60s' (or 60000), not 60` }),
    z.string(),
  ])
  .transform(toMs(MIN_WINDOW_MS, `a rate-limit window must be at least 1s`))
