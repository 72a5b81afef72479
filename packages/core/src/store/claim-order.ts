import type { JobRecord } from './queue-port'

/**
 * The order in which claimable jobs run, shared by claim() and position():
 * 1. effective priority: priority minus one point per `agingMs` waited, so low priority cannot starve;
 * 2. round-robin between users: each user's n-th job comes after every user's (n-1)-th job at the
 *    same effective priority, so one user's 1,000 jobs don't block everyone;
 * 3. age (oldest first), then id for a stable order.
 */
export function claimOrder(jobs: readonly JobRecord[], now: number, agingMs: number): JobRecord[] {
  const eff = (j: JobRecord) => j.priority - Math.floor(Math.max(0, now - j.createdAt) / agingMs)
  const byAge = [...jobs].sort(
    (a, b) => eff(a) - eff(b) || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1),
  )
  const turn = new Map<JobRecord, number>()
  const seen = new Map<string, number>()
  for (const job of byAge) {
    const k = `${eff(job)}\u0000${job.userId}`
    const n = seen.get(k) ?? 0
    seen.set(k, n + 1)
    turn.set(job, n)
  }
  return byAge.sort(
    (a, b) =>
      eff(a) - eff(b) || turn.get(a)! - turn.get(b)! || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1),
  )
}

/** Pending and ready, or active with a lapsed lease (its worker died). */
export function isClaimable(job: JobRecord, now: number): boolean {
  if (job.status === 'pending') return job.runAt <= now && job.expiresAt > now
  return job.status === 'active' && (job.leaseUntil ?? 0) <= now
}
