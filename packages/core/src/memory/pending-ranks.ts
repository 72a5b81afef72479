import { RankedSet } from '../util/ranked-set'

interface Place {
  score: number
  runAt: number
  due: boolean
}

/**
 * One type's waiting jobs in the order `position()` counts them: the due ones by (score, id),
 * then the delayed ones by (runAt, id). A delayed job moves over once it comes due (when a
 * position is asked). Every step is O(log n).
 */
export class PendingRanks {
  private readonly due = new RankedSet()
  private readonly delayed = new RankedSet()
  private readonly places = new Map<string, Place>()

  add(id: string, score: number, runAt: number, now: number): void {
    this.remove(id)
    const due = runAt <= now
    this.places.set(id, { score, runAt, due })
    if (due) this.due.insert(score, id)
    else this.delayed.insert(runAt, id)
  }

  remove(id: string): void {
    const place = this.places.get(id)
    if (!place) return
    this.places.delete(id)
    if (place.due) this.due.delete(place.score, id)
    else this.delayed.delete(place.runAt, id)
  }

  /** 1-based place, or 0 when the job does not wait here. */
  position(id: string, now: number): number {
    for (let next = this.delayed.first(); next && next.k <= now; next = this.delayed.first()) {
      const place = this.places.get(next.id)!
      this.delayed.delete(next.k, next.id)
      place.due = true
      this.due.insert(place.score, next.id)
    }
    const place = this.places.get(id)
    if (!place) return 0
    if (place.due) return this.due.rank(place.score, id) + 1
    return this.due.size + this.delayed.rank(place.runAt, id) + 1
  }
}
