import type { ClaimedJob, QueuePort } from '../store/queue-port'
import { LazyAbort } from '../util/lazy-abort'

/** A claimed job as its worker holds it. */
export interface Running {
  /** Stops renewing and watching the lease. */
  release: () => void
  abandoned: boolean
  /** Aborts this job's handler: its lease was lost to another worker, or the worker stopped. */
  abort: LazyAbort
}

/** One job of a unit: until when the worker knows it holds the lease. */
class Held implements Running {
  abandoned = false
  released = false
  readonly abort = new LazyAbort()
  constructor(
    readonly job: ClaimedJob,
    public heldUntil: number,
    private readonly unit: UnitLease,
  ) {}
  release(): void {
    if (this.released) return
    this.released = true
    this.unit.releasedOne()
  }
}

/**
 * The leases of one claimed unit (one job, or a batch), kept with one renewal interval and one
 * lapse timer for the whole unit: a batch of 1,000 jobs costs two timers, not 2,000.
 */
class UnitLease {
  private live: number
  private lapse: ReturnType<typeof setTimeout> | undefined
  private readonly renew: ReturnType<typeof setInterval>
  readonly held: Held[]

  constructor(
    private readonly port: Pick<QueuePort, 'extendLease'>,
    jobs: ClaimedJob[],
    claimedAt: number,
    private readonly leaseMs: number,
    private readonly now: () => number,
  ) {
    this.held = jobs.map((job) => new Held(job, claimedAt + leaseMs, this))
    this.live = this.held.length
    this.watch(claimedAt + leaseMs)
    this.renew = setInterval(() => this.renewAll(), leaseMs / 3)
  }

  /** Renews each job still held; one that another worker holds now is aborted. */
  private renewAll(): void {
    const sent = this.now()
    for (const h of this.held) {
      if (h.released || h.abort.aborted) continue
      this.port.extendLease(h.job.id, h.job.leaseToken, this.leaseMs).then(
        (held) => {
          // Another worker holds it now: whatever this handler returns would be refused anyway.
          if (!held) h.abort.abort()
          else h.heldUntil = Math.max(h.heldUntil, sent + this.leaseMs)
        },
        () => {}, // the store is down: the lease may lapse; the job then runs again elsewhere
      )
    }
  }

  /** Wakes at `at`, the earliest time a held lease may have lapsed. */
  private watch(at: number): void {
    clearTimeout(this.lapse)
    this.lapse = setTimeout(() => this.lapsed(), Math.max(0, at - this.now()))
    ;(this.lapse as { unref?: () => void }).unref?.()
  }

  /** Past its `heldUntil` without a renewal another worker may have the job: its handler is aborted. */
  private lapsed(): void {
    const t = this.now()
    let next = Number.POSITIVE_INFINITY
    for (const h of this.held) {
      if (h.released || h.abort.aborted) continue
      if (h.heldUntil <= t) h.abort.abort()
      else next = Math.min(next, h.heldUntil)
    }
    if (next !== Number.POSITIVE_INFINITY) this.watch(next)
  }

  releasedOne(): void {
    if (--this.live > 0) return
    clearInterval(this.renew)
    clearTimeout(this.lapse)
  }
}

/**
 * Keeps the leases of a claimed unit from the moment it is claimed (it may wait for a free slot):
 * each renewed every third of the lease. As far as the worker knows it holds a job's lease until
 * its `heldUntil`, counted from when the claim or renewal was sent, so never later than the
 * store's deadline; past it without a renewal another worker may have the job, so its handler is
 * aborted rather than run on twice. One state per job, in the unit's order.
 */
export function holdLeases(
  port: Pick<QueuePort, 'extendLease'>,
  jobs: ClaimedJob[],
  claimedAt: number,
  leaseMs: number,
  now: () => number,
): Running[] {
  return new UnitLease(port, jobs, claimedAt, leaseMs, now).held
}
