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
  /** Not claimable before this time (a delay, a cheap-hours window, a retry's backoff). */
  runAt: number
  /** A pending job past this time expires instead of running. */
  expiresAt: number
  /**
   * Its place in line (`claimScore`): lower runs first, ties by id. The core sets the part that
   * does not depend on the store (`runAt + priority × agingMs`); `add` adds the user's turn.
   */
  score: number
  /**
   * Jobs of one type with the same group (e.g. one endpoint and target language) may be claimed
   * together (`ClaimOptions.byGroup`), so a worker can answer them with one call.
   */
  group?: string
  startedAt?: number
  finishedAt?: number
  leaseUntil?: number
  /** JSON result. */
  result?: string
  error?: string
}

/**
 * A claimed job as its worker needs it, and the token of its lease: only that token extends,
 * completes or fails it. `error` is the last attempt's. A store may return more of the record.
 */
export type ClaimedJob = Pick<
  JobRecord,
  'id' | 'type' | 'userId' | 'data' | 'status' | 'attempts' | 'maxRetries' | 'backoffMs' | 'score' | 'error'
> & { leaseToken: string }

export interface AddOptions {
  /**
   * Refuse the job (a SluiceError `rate_limited`, details.reason `queue_full`) when its user
   * already has this many unfinished jobs; checked and added atomically.
   */
  maxPendingPerUser?: number
  /** Added to `score` per unfinished job the user already has (round robin between users). */
  turnMs: number
  /**
   * The caller has a worker for the type with a free slot: take the job for it in the add itself
   * when it is due and no claimable job of its type is ahead of it in line (`claimsBefore`), as
   * that worker's next claim would. Then the job is added active, leased for `leaseMs`, and `add`
   * returns it with its token; otherwise it waits in line as usual. A store may ignore this.
   */
  take?: { leaseMs: number }
}

export interface ClaimOptions {
  type: string
  max: number
  leaseMs: number
  /**
   * One group per claim: the first job in line and, when it has a group, up to `max - 1` more of
   * that group, in claim order, wherever they stand in line. A job without a group comes alone.
   */
  byGroup?: boolean
}

export type JobCounts = Record<JobStatus, number>

/**
 * Durable jobs with leases. Claims are exclusive and hand out a lease token; a job whose lease
 * runs out (its worker died or stalled) is claimable again, so delivery is at-least-once, and
 * the old token is refused from then on — a slow worker can never overwrite the result of the one
 * that took over. Every operation costs O(log n) in the backlog: due delayed jobs, lapsed leases
 * and expired jobs are found by their own index, not by scanning.
 */
export interface QueuePort {
  /**
   * Adds a pending job. Its times (createdAt, runAt, expiresAt, score) are the client's; the
   * store moves them onto its own clock by `storeNow - createdAt`, so instances whose clocks
   * disagree still order and expire their jobs alike. With `take`, returns the job when it was
   * taken for the caller's worker (see AddOptions.take).
   */
  add(job: JobRecord, options: AddOptions): Promise<ClaimedJob | undefined>
  get(id: string): Promise<JobRecord | undefined>
  /** Up to `max` claimable jobs of `type`, lowest score first (ties by id). */
  claim(options: ClaimOptions): Promise<ClaimedJob[]>
  extendLease(id: string, token: string, leaseMs: number): Promise<boolean>
  complete(id: string, token: string, result: string): Promise<boolean>
  /**
   * Retries the job `retryInMs` from now by the store's clock (back to pending, same place in
   * line), or fails it for good when retryInMs is undefined.
   */
  fail(id: string, token: string, error: string, retryInMs?: number): Promise<boolean>
  cancel(id: string): Promise<boolean>
  /** 1-based place among the pending jobs of its type in claim order (due ones first), 0 when not pending. */
  position(id: string): Promise<number>
  counts(type?: string): Promise<JobCounts>
  /**
   * True when `onAvailable` is told of every job put in line, in any process. Workers of a store
   * without (a REST-only client) look again whenever one of their slots frees up.
   */
  readonly wakesWorkers?: boolean
  /** Called when a job of `type` may be claimable (a wake-up; workers still poll as a backstop). */
  onAvailable(type: string, listener: () => void): () => void
  /** Called when a job finishes (completed, failed, expired or cancelled), in any process. */
  onFinished(id: string, listener: (job: JobRecord) => void): () => void
}
