import type { JobRecord } from './queue-port'

/**
 * The claim order, one number per job that every backend sorts by (a sorted set in Redis, an
 * index in PostgreSQL, a heap in memory), so a claim costs O(log n) whatever the backlog:
 *
 *     score = runAt + priority × agingMs + turn × turnMs
 *
 * Ordering by it is priority with aging — a job that has waited `agingMs` longer ranks like one a
 * point more urgent, so low priority cannot starve — and round robin between users: a user's
 * n-th unfinished job (`turn` = how many were unfinished when it came) sits `turnMs` behind their
 * (n−1)-th, so one user's 1,000 jobs don't block everyone. Ties go by id.
 */
export function claimScore(runAt: number, priority: number, agingMs: number): number {
  return runAt + priority * agingMs
}

/** The user's turn, added by the store that knows how many unfinished jobs the user has. */
export function withTurn(score: number, turn: number, turnMs: number): number {
  return score + turn * turnMs
}

/** Claim order between two jobs: lower score first, then id. */
export function claimsBefore(
  a: Pick<JobRecord, 'score' | 'id'>,
  b: Pick<JobRecord, 'score' | 'id'>,
): boolean {
  return a.score < b.score || (a.score === b.score && a.id < b.id)
}

/** Pending and due, or active with a lapsed lease (its worker died). */
export function isClaimable(job: JobRecord, now: number): boolean {
  if (job.status === 'pending') return job.runAt <= now && job.expiresAt > now
  return job.status === 'active' && (job.leaseUntil ?? 0) <= now
}
