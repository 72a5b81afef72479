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
  readonly readyLine = new Heap<Entry>(byScore)
  readonly delayed = new Heap<Entry>(byAt)
  readonly active = new Heap<Entry>(byAt)
  readonly expiry = new Heap<Entry>(byAt)
  /** The ready jobs that have a group, per group (by score too); an emptied group is dropped. */
  readonly groups = new Map<string, Heap<Entry>>()

  /** Puts a due job in line, and in its group's line when it has one. */
  ready(e: Entry, group: string | undefined): void {
    this.readyLine.push(e)
    if (group === undefined) return
    let g = this.groups.get(group)
    if (!g) {
      g = new Heap<Entry>(byScore)
      this.groups.set(group, g)
    }
    g.push(e)
  }

  /** The next entry of a group's line (stale ones included: the caller skips them). */
  nextOf(group: string): Entry | undefined {
    const g = this.groups.get(group)
    const e = g?.pop()
    if (g && g.size === 0) this.groups.delete(group)
    return e
  }

  /**
   * Drops the stale entries at the front of a group's line, after one of its jobs left the line
   * another way (claimed from the main line, cancelled, expired): a group nobody claims by does
   * not keep them.
   */
  dropStale(group: string, live: (e: Entry) => boolean): void {
    const g = this.groups.get(group)
    if (!g) return
    while (g.size > 0 && !live(g.peek()!)) g.pop()
    if (g.size === 0) this.groups.delete(group)
  }

  /** Whether a live ready job claims before `job` (the stale entries at the front dropped). */
  readyBefore(job: { score: number; id: string }, live: (e: Entry) => boolean): boolean {
    const line = this.readyLine
    while (line.size > 0 && !live(line.peek()!)) line.pop()
    const head = line.peek()
    return head !== undefined && claimsBefore({ score: head.at, id: head.id }, job)
  }

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
