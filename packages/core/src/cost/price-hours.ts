import { z } from 'zod'
import { cheapWindowSchema } from '../queue/cheap-hours'
import type { ModelPrice } from './prices'

const DAY_MS = 86_400_000

/**
 * A price that holds in some hours (UTC `from`–`to`, past midnight allowed) of some weekdays
 * (`days`, 0 = Sunday … 6, by the UTC day the window starts; every day when absent): an off-peak
 * discount, a peak surcharge.
 */
export const priceHoursSchema = cheapWindowSchema
  .extend({
    days: z.array(z.number().int().min(0).max(6)).min(1).optional(),
    input: z.number().nonnegative(),
    cachedInput: z.number().nonnegative().optional(),
    output: z.number().nonnegative(),
  })
  .strict()

export type PriceHours = z.output<typeof priceHoursSchema>

/** Whether `at` falls in the window (a window past midnight belongs to the day it starts). */
function inWindow(w: PriceHours, at: number): boolean {
  const dayStart = Math.floor(at / DAY_MS) * DAY_MS
  const t = at - dayStart
  const weekday = (d: number) => new Date(d).getUTCDay()
  const onDay = (start: number) => w.days === undefined || w.days.includes(weekday(start))
  if (w.from <= w.to) return t >= w.from && t < w.to && onDay(dayStart)
  if (t >= w.from) return onDay(dayStart) // the evening part: today's window
  return t < w.to && onDay(dayStart - DAY_MS) // after midnight: yesterday's window
}

/** The price at `at`: the first of its `hours` that holds then, else its base price. */
export function priceAt(price: ModelPrice, at: number): ModelPrice {
  const hours = price.hours
  if (!hours) return price
  for (const w of hours) {
    if (!inWindow(w, at)) continue
    return {
      input: w.input,
      output: w.output,
      ...(w.cachedInput !== undefined ? { cachedInput: w.cachedInput } : {}),
    }
  }
  const { hours: _h, ...base } = price
  return base
}
