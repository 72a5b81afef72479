import { z } from 'zod'
import { parseOptions, parseWith } from '../config/parse-options'
import type { SluiceErrorCode } from '../errors/codes'
import { SluiceError } from '../errors/sluice-error'
import { claimScore } from '../store/claim-order'
import { defaultStore } from '../store/default-store'
import type { AddOptions, ClaimedJob, JobCounts, JobRecord, JobStatus, QueuePort } from '../store/queue-port'
import type { Store } from '../store/store'
import { guardStore } from '../store/store-guard'
import { randomId } from '../util/hash'
import { checkId } from '../util/keys'
import { cheapRunAt } from './cheap-hours'
import type { ClaimGate } from './claim-gate'
import { DrainRate } from './drain-rate'
import { jobErrorMessage } from './job-error'
import { type EnqueueInput, jobSchema } from './job-schema'
import { type ProcessBatchOptions, type ProcessOptions, processSchema } from './process-schema'
import { queueOptionsSchema } from './queue-schema'
import { waitForJob } from './wait-for-job'
import { type BatchHandler, type JobHandler, type StopResult, Worker } from './worker'

export interface Processing {
  stop: (graceMs?: number) => Promise<StopResult>
}

const schema = queueOptionsSchema.extend({
  store: z.custom<Store>((v) => typeof v === 'object' && v !== null).optional(),
  now: z.custom<() => number>((v) => typeof v === 'function').default(() => Date.now),
})

export type QueueClientOptions = z.input<typeof schema>

/**
 * Whose job it is. Give the caller's `userId` (another user's job is `forbidden`), or
 * `anyUser: true` where the app itself is asking (an admin view, a worker): skipping the
 * ownership check is never the default.
 */
export type Owner = { userId: string; anyUser?: false } | { anyUser: true; userId?: undefined }

export interface JobView {
  id: string
  type: string
  status: JobStatus
  priority: number
  attempts: number
  /** 1-based place in line while pending; 0 otherwise. */
  position: number
  /**
   * Rough wait until it starts: its place in line over the rate at which the fleet's workers ran
   * jobs of its type in the last minute (counted in the store's metrics); before any ran, from
   * this process's recent job durations. 0 unless pending.
   */
  estimatedWaitMs: number
  createdAt: number
  startedAt?: number
  finishedAt?: number
  result?: unknown
  error?: string
  /** The code of the SluiceError that failed it, when one did. */
  errorCode?: SluiceErrorCode
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * A durable priority queue on any store: enqueue, status (position and ETA, owner only), wait for
 * the result (pushed, with polling only as a backstop), workers with concurrency, cancel, counts.
 */
export class QueueClient {
  private readonly o: z.output<typeof schema>
  readonly port: QueuePort
  private readonly workers = new Set<Worker>()
  private avgMs = 1000
  private concurrency = 1
  private readonly drain: DrainRate

  constructor(options: QueueClientOptions = {}) {
    this.o = parseOptions(schema, options, 'queue')
    const store = this.o.store ? guardStore(this.o.store) : defaultStore({ now: this.o.now })
    this.port = store.queue ?? defaultStore({ now: this.o.now }).queue
    this.drain = new DrainRate(store.queue ? store.metrics : undefined, this.o.now)
  }

  async enqueue(input: EnqueueInput): Promise<{ id: string }> {
    const job = parseWith(jobSchema, input, 'invalid_request', 'job')
    const priority = typeof job.priority === 'string' ? this.o.priorities[job.priority] : job.priority
    if (job.priority !== undefined && priority === undefined) {
      throw new SluiceError('invalid_request', `job.priority: unknown priority name '${job.priority}'`, {
        path: 'job.priority',
      })
    }
    let data: string
    try {
      data = JSON.stringify(job.data ?? null)
    } catch (cause) {
      throw new SluiceError('invalid_request', 'job.data: must be JSON-serialisable', {
        path: 'job.data',
        cause,
      })
    }
    const now = this.o.now()
    const p = priority ?? 5
    const expiresAt = now + (job.expireAfter ?? this.o.expireAfter)
    let runAt = Math.max(now, job.runAt ?? 0, now + (job.delay ?? 0))
    const cheap = job.cheapHours ?? (this.o.cheapFromPriority !== undefined && p >= this.o.cheapFromPriority)
    if (cheap) runAt = Math.max(runAt, cheapRunAt(runAt, expiresAt, this.o.cheapHours))
    if (runAt >= expiresAt) {
      throw new SluiceError(
        'invalid_request',
        'job: it would expire before it may run (runAt or delay past expireAfter)',
        {
          path: 'job.expireAfter',
        },
      )
    }
    const record: JobRecord = {
      id: randomId(),
      type: job.type,
      userId: job.userId,
      data,
      priority: p,
      status: 'pending',
      attempts: 0,
      maxRetries: job.maxRetries ?? this.o.maxRetries,
      backoffMs: job.backoff ?? this.o.backoff,
      createdAt: now,
      runAt,
      expiresAt,
      score: claimScore(runAt, p, this.o.aging),
      ...(job.group !== undefined ? { group: job.group } : {}),
    }
    const limits = { maxPendingPerUser: this.o.maxPendingPerUser, turnMs: this.o.turn ?? this.o.aging }
    const add = (take?: AddOptions['take']) => this.port.add(record, take ? { ...limits, take } : limits)
    // A worker of this process with a free slot may get the job in the add itself (one store
    // call, where a wake-up and a claim would take two more).
    await ((runAt <= now ? this.offerToWorker(job.type, add, now) : undefined) ?? add())
    return { id: record.id }
  }

  /** The job as its owner sees it. Another user's job is `forbidden`; an unknown id is `not_found`. */
  async status(id: string, owner: Owner): Promise<JobView> {
    const job = await this.load(id, owner)
    const position = job.status === 'pending' ? await this.port.position(id) : 0
    const perMs = position === 0 ? 0 : await this.drain.perMs(job.type).catch(() => 0)
    const view: JobView = {
      id: job.id,
      type: job.type,
      status: job.status,
      priority: job.priority,
      attempts: job.attempts,
      position,
      estimatedWaitMs:
        position === 0
          ? 0
          : perMs > 0
            ? Math.ceil(position / perMs)
            : Math.ceil(position / this.concurrency) * this.avgMs,
      createdAt: job.createdAt,
    }
    if (job.startedAt !== undefined) view.startedAt = job.startedAt
    if (job.finishedAt !== undefined) view.finishedAt = job.finishedAt
    if (job.result !== undefined) view.result = JSON.parse(job.result)
    if (job.error !== undefined) {
      const { message, code } = jobErrorMessage(job.error)
      view.error = message
      if (code !== undefined) view.errorCode = code
    }
    return view
  }

  /**
   * Resolves with the job's result once it completes; rejects when it fails, expires or is
   * cancelled, with `queue_timeout` after `timeout`, or `cancelled` when the signal aborts.
   */
  async wait<R = unknown>(
    id: string,
    options: Owner & { timeout?: number; signal?: AbortSignal },
  ): Promise<R> {
    await this.load(id, options)
    const timeoutMs = options.timeout ?? this.o.timeout
    return waitForJob<R>(this.port, id, {
      timeoutMs,
      pollMs: this.o.pollInterval,
      ...(options.signal ? { signal: options.signal } : {}),
    })
  }

  /** Runs jobs of `type` in this process until `stop()`. */
  process<D = unknown, R = unknown>(
    type: string,
    handler: JobHandler<D, R>,
    options: { concurrency?: number; batchSize?: number } = {},
    /** @internal Sluice's chat worker: claims held while its jobs wait for provider capacity. */
    gate?: ClaimGate,
  ): Processing {
    return this.start(type, handler as JobHandler<unknown, unknown>, options, gate)
  }

  /**
   * Runs jobs of `type` in batches until `stop()`: the handler takes the jobs of one claim
   * together (up to `maxSize`; with `byGroup`, one group's jobs, see `enqueue({ group })`) and
   * answers one result per job. `concurrency` counts batches.
   */
  processBatch<D = unknown, R = unknown>(
    type: string,
    handler: BatchHandler<D, R>,
    options: ProcessBatchOptions & { concurrency?: number },
    /** @internal as for `process` */
    gate?: ClaimGate,
  ): Processing {
    const { concurrency, ...batch } = options ?? {} // a JS caller may give none: the schema then names what is missing
    return this.start(
      type,
      handler as BatchHandler<unknown, unknown>,
      { ...(concurrency !== undefined ? { concurrency } : {}), batch },
      gate,
    )
  }

  private start(
    type: string,
    handler: JobHandler<unknown, unknown> | BatchHandler<unknown, unknown>,
    input: ProcessOptions,
    gate?: ClaimGate,
  ): Processing {
    checkId(type, 'type')
    const options = parseWith(processSchema, input, 'invalid_config', 'process')
    if (typeof handler !== 'function') {
      throw new SluiceError('invalid_config', 'process: handler must be a function', { path: 'handler' })
    }
    const concurrency = options.concurrency ?? this.o.concurrency
    const batch = options.batch
    this.concurrency = Math.max(this.concurrency, batch ? concurrency * batch.maxSize : concurrency)
    const worker = new Worker(this.port, type, handler, {
      concurrency,
      batchSize: batch?.maxSize ?? options.batchSize ?? this.o.batchSize,
      ...(batch ? { batch: { byGroup: batch.byGroup } } : {}),
      pollMs: this.o.pollInterval,
      leaseMs: this.o.lease,
      backoffMs: this.o.backoff,
      now: this.o.now,
      onDuration: (ms, jobs) => {
        this.avgMs = this.avgMs * 0.8 + ms * 0.2
        this.drain.ran(type, jobs)
      },
      ...(gate ? { gate } : {}),
    })
    this.workers.add(worker)
    return {
      stop: (graceMs) => {
        this.workers.delete(worker)
        return worker.stop(graceMs)
      },
    }
  }

  /** The add, sent by a worker for `type` started here that has a free slot; undefined if none has. */
  private offerToWorker(
    type: string,
    add: (take: AddOptions['take']) => Promise<ClaimedJob | undefined>,
    sentAt: number,
  ): Promise<ClaimedJob | undefined> | undefined {
    for (const worker of this.workers) {
      const adding = worker.type === type ? worker.offer(add, sentAt) : undefined
      if (adding) return adding
    }
    return undefined
  }

  /** Cancels a pending job; false when it already started or finished. */
  async cancel(id: string, owner: Owner): Promise<boolean> {
    await this.load(id, owner)
    return this.port.cancel(id)
  }

  counts(type?: string): Promise<JobCounts> {
    return this.port.counts(type)
  }

  /** Stops every worker started here. */
  async close(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.stop()))
    this.workers.clear()
    await this.drain.close()
  }

  private async load(id: string, owner: Owner | undefined): Promise<JobRecord> {
    if (typeof id !== 'string' || !UUID.test(id)) {
      throw new SluiceError('invalid_request', 'id: not a job id', { path: 'id' })
    }
    const anyUser = owner?.anyUser === true
    if (!anyUser) checkId(owner?.userId, 'userId')
    const job = await this.port.get(id)
    if (!job) throw new SluiceError('not_found', `job ${id} not found`)
    if (!anyUser && job.userId !== owner!.userId) {
      throw new SluiceError('forbidden', `job ${id} belongs to another user`)
    }
    return job
  }
}
