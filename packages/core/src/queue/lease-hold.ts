import type { ClaimedJob, QueuePort } from '../store/queue-port'

/** A claimed job as its worker holds it. */
export interface Running {
  /** Stops renewing and watching the lease. */
  release: () => void
  abandoned: boolean
  /** Aborts this job's handler: its lease was lost to another worker, or the worker stopped. */
  abort: LazyAbort
}

/** An AbortController made only when its signal is asked for (most handlers never read it). */
export interface LazyAbort {
  abort(): void
  readonly aborted: boolean
  readonly signal: AbortSignal
}

function lazyAbort(): LazyAbort {
  let controller: AbortController | undefined
  let aborted = false
  return {
    abort() {
      aborted = true
      controller?.abort()
    },
    get aborted() {
      return aborted
    },
    get signal() {
      if (!controller) {
        controller = new AbortController()
        if (aborted) controller.abort()
      }
      return controller.signal
    },
  }
}

/**
 * Keeps the lease of a claimed job from the moment it is claimed (it may wait for a free slot):
 * renewed every third of the lease. As far as the worker knows it holds the lease until
 * `heldUntil`, counted from when the claim or renewal was sent, so never later than the store's
 * deadline; past it without a renewal another worker may have the job, so its handler is
 * aborted rather than run on twice.
 */
export function holdLease(
  port: Pick<QueuePort, 'extendLease'>,
  job: ClaimedJob,
  claimedAt: number,
  leaseMs: number,
  now: () => number,
): Running {
  const abort = lazyAbort()
  let heldUntil = claimedAt + leaseMs
  let lapse: ReturnType<typeof setTimeout> | undefined
  const watch = () => {
    clearTimeout(lapse)
    lapse = setTimeout(() => abort.abort(), Math.max(0, heldUntil - now()))
    ;(lapse as { unref?: () => void }).unref?.()
  }
  watch()
  const renew = setInterval(() => {
    const sent = now()
    port.extendLease(job.id, job.leaseToken, leaseMs).then(
      (held) => {
        // Another worker holds it now: whatever this handler returns would be refused anyway.
        if (!held) return abort.abort()
        heldUntil = Math.max(heldUntil, sent + leaseMs)
        if (!abort.aborted) watch()
      },
      () => {}, // the store is down: the lease may lapse; the job then runs again elsewhere
    )
  }, leaseMs / 3)
  return {
    abandoned: false,
    abort,
    release: () => {
      clearInterval(renew)
      clearTimeout(lapse)
    },
  }
}
