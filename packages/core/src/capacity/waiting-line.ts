import { claimScore } from '../store/claim-order'
import { Heap } from '../util/heap'

export interface Ticket {
  readonly score: number
  readonly seq: number
  /** Resolves when this ticket is at the head of the line: its turn to take capacity. */
  readonly turn: Promise<void>
  left: boolean
  start(): void
}

/**
 * The callers of one process waiting for one provider's capacity, in the queue's claim order
 * (priority with aging: a caller that has waited `agingMs` longer ranks a point more urgent, so a
 * low priority cannot starve; ties by arrival). Only the head tries the store; the next one's
 * turn comes when it leaves.
 */
export class WaitingLine {
  constructor(private readonly agingMs: number) {}

  private readonly heap = new Heap<Ticket>(
    (a, b) => a.score < b.score || (a.score === b.score && a.seq < b.seq),
  )
  private head: Ticket | undefined
  private seq = 0

  get waiting(): number {
    return this.heap.size + (this.head ? 1 : 0)
  }

  join(priority: number, now: number): Ticket {
    let start = () => {}
    const turn = new Promise<void>((resolve) => {
      start = resolve
    })
    const ticket: Ticket = {
      score: claimScore(now, priority, this.agingMs),
      seq: this.seq++,
      turn,
      left: false,
      start,
    }
    this.heap.push(ticket)
    if (!this.head) this.next()
    return ticket
  }

  leave(ticket: Ticket): void {
    ticket.left = true
    if (this.head === ticket) {
      this.head = undefined
      this.next()
    }
  }

  private next(): void {
    for (let t = this.heap.pop(); t; t = this.heap.pop()) {
      if (t.left) continue
      this.head = t
      t.start()
      return
    }
  }
}
