import type { JobRecord } from './queue-port'

/**
 * The job an add took for the caller's worker (AddOptions.take), as a claim would return it. Its
 * times stay the client's: the worker counts the lease from when it sent the add.
 */
export function takenJob(
  job: JobRecord,
  leaseToken: string,
  leaseMs: number,
): JobRecord & { leaseToken: string } {
  return {
    ...job,
    status: 'active',
    attempts: job.attempts + 1,
    startedAt: job.createdAt,
    leaseUntil: job.createdAt + leaseMs,
    leaseToken,
  }
}
