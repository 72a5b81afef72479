import type { JobRecord } from '../store/queue-port'

let n = 0
/**
 * A pending job of `type`, due now and in line at `now + at`, for the queue suites. Its id is
 * `name` and a counter (`baseName` takes the counter off again).
 */
export function pendingJob(type: string, name: string, at = 0, patch: Partial<JobRecord> = {}): JobRecord {
  const now = Date.now()
  n++
  return {
    id: `${name}-${String(n).padStart(6, '0')}`,
    type,
    userId: 'u',
    data: '{}',
    priority: 5,
    status: 'pending',
    attempts: 0,
    maxRetries: 0,
    backoffMs: 10,
    createdAt: now,
    runAt: now,
    expiresAt: now + 60_000,
    score: now + at,
    ...patch,
  }
}

/** A job's name as `pendingJob` was given it. */
export const baseName = (job: { id: string }) => job.id.replace(/-\d+$/, '')
