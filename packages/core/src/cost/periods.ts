export const DAY_MS = 86_400_000

export type Period = 'day' | 'month'

/** The adjective of a period, for messages: `daily`, `monthly`. */
export const periodly = (period: Period): string => (period === 'day' ? 'daily' : 'monthly')

/** UTC day and month labels (`2026-11-22`, `2026-11`), recomputed only when the day changes. */
export class PeriodClock {
  private today = { until: 0, from: 0, day: '', month: '' }

  constructor(private readonly now: () => number) {}

  labels(): { day: string; month: string } {
    const now = this.now()
    if (now >= this.today.until || now < this.today.from) {
      const iso = new Date(now).toISOString()
      const from = Math.floor(now / DAY_MS) * DAY_MS
      this.today = { from, until: from + DAY_MS, day: iso.slice(0, 10), month: iso.slice(0, 7) }
    }
    return this.today
  }

  /** ms until the period starts over (midnight UTC, or the first of next month). */
  untilNext(period: Period): number {
    const now = new Date(this.now())
    const next =
      period === 'day'
        ? Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)
        : Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)
    return next - now.getTime()
  }
}
