import { claimsBefore } from '../store/claim-order'
import { Heap } from '../util/heap'

/** A heap entry; `v` is the job's version when it was pushed, so a stale entry is skipped. */
export interface Entry {
  id: string
  v: number
  /** What the heap orders by: score (ready), runAt (delayed), leaseUntil (active), expiresAt. */
  at: number
}

const byAt = (a: Entry, b: Entry) => a.at < b.at || (a.at === b.at && a.id < b.id)
const byScore = (a: Entry, b: Entry) => claimsBefore({ score: a.at, id: a.id }, { score: b.at, id: b.id })

/**
 * The indexes of one job type: who is next (ready, by score), who becomes due (delayed, by
 * runAt), whose lease lapses (active, by leaseUntil) and who expires (by expiresAt). Heaps with
 * lazy deletion: a job that moved on leaves a stale entry behind, skipped when it surfaces.
 */
export class QueueLines {
  readonly ready = new Heap<Entry>(byScore)
  readonly delayed = new Heap<Entry>(byAt)
  readonly active = new Heap<Entry>(byAt)
  readonly expiry = new Heap<Entry>(byAt)

  /** Pops entries of `heap` due by `now` (at ≤ now) while `accept` takes them; at most `max`. */
  static due(heap: Heap<Entry>, now: number, max: number, take: (e: Entry) => void): void {
    for (let n = 0; n < max; n++) {
      const top = heap.peek()
      if (!top || top.at > now) return
      heap.pop()
      take(top)
    }
  }
}
