export type JobStatus = 'pending' | 'active' | 'completed' | 'failed' | 'expired' | 'cancelled'

export interface JobRecord {
  id: string
  type: string
  userId: string
  /** JSON payload. */
  data: string
  /** 1 (high) … 10 (low). */
  priority: number
  status: JobStatus
  attempts: number
  maxRetries: number
  /** Delay before the next attempt after a failure. */
  backoffMs: number
  createdAt: number
  /** Not claimable before this time (retry backoff). */
  runAt: number
  /** A pending job past this time expires instead of running. */
  expiresAt: number
  startedAt?: number
  finishedAt?: number
  leaseUntil?: number
  /** JSON result. */
  result?: string
  error?: string
}

export interface ClaimOptions {
  type: string
  max: number
  leaseMs: number
  /** Priority points a waiting job gains per this many ms, so low priority cannot starve. */
  agingMs: number
}

export type JobCounts = Record<JobStatus, number>

/**
 * Durable jobs with leases. Claims are exclusive; a job whose lease runs out (its worker died) is
 * claimable again, so delivery is at-least-once.
 */
export interface AddOptions {
  /**
   * Refuse the job (a SluiceError `rate_limited`, details.reason `queue_full`) when its user
   * already has this many unfinished jobs; checked and added atomically.
   */
  maxPendingPerUser?: number
}

export interface QueuePort {
  add(job: JobRecord, options?: AddOptions): Promise<void>
  get(id: string): Promise<JobRecord | undefined>
  claim(options: ClaimOptions): Promise<JobRecord[]>
  extendLease(id: string, leaseMs: number): Promise<boolean>
  complete(id: string, result: string): Promise<boolean>
  /** Retries (back to pending at `retryAt`) or fails the job for good when retryAt is undefined. */
  fail(id: string, error: string, retryAt?: number): Promise<boolean>
  cancel(id: string): Promise<boolean>
  /** 1-based place among claimable jobs of its type, 0 when not pending. */
  position(id: string, agingMs: number): Promise<number>
  counts(type?: string): Promise<JobCounts>
  /** Called when a job of `type` may be claimable (a wake-up; workers still poll as a backstop). */
  onAvailable(type: string, listener: () => void): () => void
  /** Called when a job finishes (completed, failed, expired or cancelled). */
  onFinished(id: string, listener: (job: JobRecord) => void): () => void
}
