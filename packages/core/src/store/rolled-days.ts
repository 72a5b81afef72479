import { rollupLineOf } from './day-totals'
import type { UsageRow } from './usage-port'

const DAY_MS = 86_400_000

/**
 * Usage rows folded into one row per UTC day, user, endpoint, tier, provider, model and cached
 * (with its `requests`), as the shared stores roll up old rows: what a store keeps of the rows
 * it can no longer hold one by one. At most `maxLines` lines: past that the oldest day goes.
 */
export class RolledDays {
  private readonly days = new Map<number, Map<string, UsageRow>>()
  private lines = 0

  constructor(private readonly maxLines: number) {}

  add(row: UsageRow): void {
    const day = Math.floor(row.at / DAY_MS)
    let lines = this.days.get(day)
    if (!lines) {
      lines = new Map()
      this.days.set(day, lines)
      this.order()
    }
    const key = rollupLineOf(row)
    const line = lines.get(key)
    const n = row.requests ?? 1
    if (line) {
      line.costUsd += row.costUsd
      line.requests = (line.requests ?? 1) + n
      line.promptTokens += row.promptTokens
      line.completionTokens += row.completionTokens
      line.cachedTokens += row.cachedTokens
      return
    }
    lines.set(key, { ...row, at: day * DAY_MS, requests: n })
    this.lines++
    while (this.lines > this.maxLines && this.days.size > 1) this.dropOldest()
  }

  /** The rolled-up lines of the days from `since`'s day on. */
  rows(since: number): UsageRow[] {
    const first = Math.floor(since / DAY_MS)
    const out: UsageRow[] = []
    for (const [day, lines] of this.days)
      if (day >= first) for (const line of lines.values()) out.push({ ...line })
    return out
  }

  /** Days kept in ascending order (a row older than the newest day may open a day of its own). */
  private order(): void {
    const sorted = [...this.days].sort((a, b) => a[0] - b[0])
    this.days.clear()
    for (const [day, lines] of sorted) this.days.set(day, lines)
  }

  private dropOldest(): void {
    const [day, lines] = this.days.entries().next().value as [number, Map<string, UsageRow>]
    this.lines -= lines.size
    this.days.delete(day)
  }
}
