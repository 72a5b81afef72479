import { claimScore, withTurn } from '../store/claim-order'
import { Heap } from '../util/heap'

export interface Ticket {
  readonly score: number
  readonly user: string | undefined
  readonly seq: number
  /** Resolves when this ticket is at the head of the line: its turn to take capacity. */
  readonly turn: Promise<void>
  left: boolean
  start(): void
}

/**
 * The callers of one process waiting for one provider's capacity, in the queue's claim order
 * (priority with aging: a caller that has waited `agingMs` longer ranks a point more urgent, so a
 * low priority cannot starve; round robin between users: a user's n-th call waiting sits `agingMs`
 * behind their (n−1)-th, so one user's burst does not hold everyone back; ties by arrival). Only
 * the head tries the store; the next one's turn comes when it leaves.
 */
export class WaitingLine {
  constructor(private readonly agingMs: number) {}

  private readonly heap = new Heap<Ticket>(
    (a, b) => a.score < b.score || (a.score === b.score && a.seq < b.seq),
  )
  private head: Ticket | undefined
  private seq = 0
  /** Each user's calls in line (keyed by user id: no prototype). */
  private readonly byUser: Record<string, number> = Object.create(null)

  get waiting(): number {
    return this.heap.size + (this.head ? 1 : 0)
  }

  join(priority: number, now: number, user?: string): Ticket {
    let start = () => {}
    const turn = new Promise<void>((resolve) => {
      start = resolve
    })
    const ahead = user === undefined ? 0 : (this.byUser[user] ?? 0)
    if (user !== undefined) this.byUser[user] = ahead + 1
    const ticket: Ticket = {
      score: withTurn(claimScore(now, priority, this.agingMs), ahead, this.agingMs),
      user,
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
    if (ticket.left) return
    ticket.left = true
    const { user } = ticket
    if (user !== undefined) {
      if (this.byUser[user]! > 1) this.byUser[user]!--
      else delete this.byUser[user]
    }
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
