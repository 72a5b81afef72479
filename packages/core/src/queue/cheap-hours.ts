import { z } from 'zod'

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/
const DAY_MS = 86_400_000

const clock = z
  .string()
  .regex(HHMM, { message: "expected a UTC time like '16:30'" })
  .transform((s) => {
    const [, h, m] = HHMM.exec(s)!
    return (Number(h) * 60 + Number(m)) * 60_000
  })

/** A daily window in UTC, `from` to `to`; one that passes midnight (`'16:30'`–`'00:30'`) is fine. */
export const cheapWindowSchema = z.object({ from: clock, to: clock }).strict()

export type CheapWindow = z.output<typeof cheapWindowSchema>

/**
 * When a job that asks for cheap hours should run: now, inside a window; else the next window's
 * start — unless that comes after its deadline, when it runs now rather than not at all.
 */
export function cheapRunAt(now: number, deadline: number, windows: readonly CheapWindow[]): number {
  if (windows.length === 0) return now
  const day = Math.floor(now / DAY_MS) * DAY_MS
  const inDay = now - day
  let next = Number.POSITIVE_INFINITY
  for (const w of windows) {
    const inside = w.from <= w.to ? inDay >= w.from && inDay < w.to : inDay >= w.from || inDay < w.to
    if (inside) return now
    const start = day + w.from + (w.from > inDay ? 0 : DAY_MS)
    next = Math.min(next, start)
  }
  return next < deadline ? next : now
}
