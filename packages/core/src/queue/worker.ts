import PQueue from 'p-queue'
import type { ClaimedJob, QueuePort } from '../store/queue-port'
import { sleep } from '../util/sleep'
import { claimSizes } from './claim-plan'

export interface JobContext<D> {
  id: string
  type: string
  data: D
  userId: string
  /** 1 for the first run. */
  attempt: number
  signal: AbortSignal
}

export type JobHandler<D, R> = (job: JobContext<D>) => Promise<R>

/**
 * Runs a claimed batch: one result per job, in order. An `Error` in a job's place fails that job
 * alone (retried as its options say); a throw fails them all.
 */
export type BatchHandler<D, R> = (jobs: JobContext<D>[]) => Promise<(R | Error)[]>

export interface WorkerSettings {
  /** Jobs run at once; batches run at once when the handler takes batches. */
  concurrency: number
  batchSize: number
  /** The handler takes batches of up to `batchSize` jobs, one group per claim when `byGroup`. */
  batch?: { byGroup: boolean }
  pollMs: number
  leaseMs: number
  backoffMs: number
  now: () => number
  onDuration: (ms: number) => void
}

export interface StopResult {
  /**
   * Jobs still running when the grace period ended. Their handlers were aborted and their leases
   * are no longer renewed, so another worker runs them once the lease lapses; whatever the
   * abandoned handler returns later is ignored.
   */
  abandoned: string[]
}

interface Running {
  /** Stops renewing and watching the lease. */
  release: () => void
  abandoned: boolean
  /** Aborts this job's handler: its lease was lost to another worker, or the worker stopped. */
  abort: AbortController
}

/** After a failed claim the worker waits 200 ms, doubling up to 3.2 s (never longer than a poll). */
const STORE_RETRY_MS = 200
const MAX_BACKOFF_STEPS = 5
/** Jobs that take less than this on average are claimed a batch ahead. */
const PREFETCH_BELOW_MS = 50

/** Claims jobs of one type and runs them with bounded concurrency (p-queue), renewing leases. */
export class Worker {
  private readonly running = new PQueue()
  private readonly jobs = new Map<string, Running>()
  private stopped = false
  private wake: (() => void) | undefined
  /** A wake-up came while the loop was busy claiming: the next wait returns at once. */
  private woken = false
  /** The last claim asked for fewer jobs than the line may hold, for want of free slots. */
  private slotBound = true
  /** The last claims all came back full: there is more in line, so claims go several at once. */
  private backlog = false
  /** Average run time of recent jobs (unknown until one ran). */
  private avgMs = Number.POSITIVE_INFINITY
  private readonly loop: Promise<void>
  private readonly unsubscribe: () => void
  /** Slots held for jobs this process is adding and may take at once (see `reserve`). */
  private reserved = 0
  private readonly takes = new Set<Promise<void>>()

  constructor(
    private readonly port: QueuePort,
    readonly type: string,
    private readonly handler: JobHandler<unknown, unknown> | BatchHandler<unknown, unknown>,
    private readonly s: WorkerSettings,
  ) {
    this.running.concurrency = s.concurrency
    // A slot freed up: look again if the last claim was held back by the slots (the line was
    // not seen to be empty), or the store tells nobody of new jobs; otherwise wake-ups and polls
    // say when there is more.
    this.running.on('next', () => {
      if (this.slotBound || port.wakesWorkers !== true) this.nudge()
    })
    this.unsubscribe = port.onAvailable(type, () => this.nudge())
    this.loop = this.run()
  }

  /**
   * Stops claiming and lets running jobs finish. After `graceMs` it aborts their signals and
   * returns at once, naming the jobs it abandoned: a handler that ignores its signal cannot hold
   * the stop up.
   */
  async stop(graceMs = 10_000): Promise<StopResult> {
    this.stopped = true
    this.unsubscribe()
    this.wake?.()
    await this.loop
    await Promise.all(this.takes) // a job taken in an add that was under way still runs here
    let timer: ReturnType<typeof setTimeout> | undefined
    const graceOver = new Promise<'grace'>((resolve) => {
      timer = setTimeout(() => resolve('grace'), graceMs)
    })
    const ended = await Promise.race([this.running.onIdle().then(() => 'idle' as const), graceOver])
    clearTimeout(timer)
    if (ended === 'idle') return { abandoned: [] }
    const abandoned: string[] = []
    for (const [id, job] of this.jobs) {
      job.abandoned = true
      job.release()
      job.abort.abort()
      abandoned.push(id)
    }
    this.jobs.clear()
    return { abandoned }
  }

  /**
   * Holds a free slot for a job this process is about to add (AddOptions.take): the store may
   * hand it straight to this worker instead of waking one (a batch handler then gets a batch of
   * one). Not for group claims, which gather a group's jobs by claim. True when a slot was free;
   * pass the add to `adopt` then.
   */
  reserve(): boolean {
    if (this.stopped || this.s.batch?.byGroup) return false
    if (this.running.pending + this.running.size + this.reserved >= this.s.concurrency) return false
    this.reserved++
    return true
  }

  /**
   * Runs the job the add took for this worker, in the slot `reserve` held; frees the slot when the
   * job went in line instead. The lease counts from `sentAt`, when the add was sent.
   */
  adopt(adding: Promise<ClaimedJob | undefined>, sentAt: number): void {
    const taking = adding
      .then(
        (job) => {
          if (!job) return
          const state = this.hold(job, sentAt)
          void this.running.add(() => this.execute([job], [state])).catch(() => {})
        },
        () => {}, // the add failed: its caller hears why
      )
      .finally(() => {
        this.reserved--
        this.takes.delete(taking)
      })
    this.takes.add(taking)
  }

  private nudge(): void {
    if (this.wake) this.wake()
    else this.woken = true
  }

  private async run(): Promise<void> {
    let failures = 0
    while (!this.stopped) {
      this.woken = false
      // Short jobs: up to one batch more than the slots is claimed and waits for a slot (its lease
      // kept from the claim on), so slots do not sit idle while a claim travels. Long jobs (LLM
      // calls): none, so no worker holds jobs another idle one could run. A batch handler's slot
      // takes one claim's jobs.
      const batch = this.s.batch
      const ahead = !batch && this.avgMs < PREFETCH_BELOW_MS ? this.s.batchSize : 0
      const free = this.s.concurrency + ahead - this.running.pending - this.running.size - this.reserved
      const sizes = claimSizes(free, this.s.batchSize, batch !== undefined, this.backlog)
      const claimedAt = this.s.now()
      const sets = await Promise.allSettled(
        sizes.map((max) =>
          this.port.claim({
            type: this.type,
            max,
            leaseMs: this.s.leaseMs,
            ...(batch?.byGroup ? { byGroup: true } : {}),
          }),
        ),
      )
      const claims = sets.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
      // The store is down: never crash; back off and resume when it returns.
      if (sets.length > 0)
        failures = claims.length < sets.length ? Math.min(MAX_BACKOFF_STEPS, failures + 1) : 0
      const claimed = claims.flat()
      this.backlog =
        sizes.length > 0 && claims.length === sizes.length && claims.every((c, i) => c.length === sizes[i])
      // A batch claim may stop short at one group's end with more groups in line.
      this.slotBound = sizes.length === 0 || this.backlog || (batch !== undefined && claimed.length > 0)
      const units = batch ? claims.filter((c) => c.length > 0) : claimed.map((job) => [job])
      for (const unit of units) {
        const states = unit.map((job) => this.hold(job, claimedAt))
        void this.running.add(() => this.execute(unit, states)).catch(() => {})
      }
      // A batch claim may come back short with more in line (one group, or a job alone): look again while slots are free.
      if (batch && claimed.length > 0 && free > units.length) continue
      if (this.backlog) continue
      if (this.stopped || (this.woken && failures === 0)) continue
      const poll = new AbortController()
      const wait =
        failures > 0 ? Math.min(this.s.pollMs, STORE_RETRY_MS * 2 ** (failures - 1)) : this.s.pollMs
      await new Promise<void>((resolve) => {
        this.wake = failures > 0 ? undefined : resolve
        // Wake when a job arrives, a running job ends (a slot frees), or the poll interval passes.
        sleep(wait, poll.signal).then(resolve, () => {})
      })
      poll.abort()
      this.wake = undefined
    }
  }

  /**
   * Keeps the lease of a claimed job from the moment it is claimed (it may wait for a free slot):
   * renewed every third of the lease. As far as this worker knows it holds the lease until
   * `heldUntil`, counted from when the claim or renewal was sent, so never later than the store's
   * deadline; past it without a renewal another worker may have the job, so its handler is
   * aborted rather than run on twice.
   */
  private hold(job: ClaimedJob, claimedAt: number): Running {
    const abort = new AbortController()
    let heldUntil = claimedAt + this.s.leaseMs
    let lapse: ReturnType<typeof setTimeout> | undefined
    const watch = () => {
      clearTimeout(lapse)
      lapse = setTimeout(() => abort.abort(), Math.max(0, heldUntil - this.s.now()))
      ;(lapse as { unref?: () => void }).unref?.()
    }
    watch()
    const renew = setInterval(() => {
      const sent = this.s.now()
      this.port.extendLease(job.id, job.leaseToken, this.s.leaseMs).then(
        (held) => {
          // Another worker holds it now: whatever this handler returns would be refused anyway.
          if (!held) return abort.abort()
          heldUntil = Math.max(heldUntil, sent + this.s.leaseMs)
          if (!abort.signal.aborted) watch()
        },
        () => {}, // the store is down: the lease may lapse; the job then runs again elsewhere
      )
    }, this.s.leaseMs / 3)
    const state: Running = {
      abandoned: false,
      abort,
      release: () => {
        clearInterval(renew)
        clearTimeout(lapse)
      },
    }
    this.jobs.set(job.id, state)
    return state
  }

  /** Runs a unit (one job, or a batch), then settles each of its jobs by its own lease. */
  private async execute(unit: ClaimedJob[], states: Running[]): Promise<void> {
    const started = this.s.now()
    // Lost while it waited for a slot, or the worker gave up on it: it runs elsewhere.
    const live = unit
      .map((job, i) => ({ job, state: states[i]! }))
      .filter(({ state }) => !state.abandoned && !state.abort.signal.aborted)
    try {
      if (live.length === 0) return
      const outcomes = await this.outcomes(live)
      await Promise.all(live.map(({ job, state }, i) => this.settle(job, state, outcomes[i]!)))
    } finally {
      for (const [i, state] of states.entries()) {
        state.release()
        if (!state.abandoned) this.jobs.delete(unit[i]!.id)
      }
      const took = (this.s.now() - started) / unit.length
      if (!this.s.batch) this.avgMs = Number.isFinite(this.avgMs) ? this.avgMs * 0.8 + took * 0.2 : took
      this.s.onDuration(took)
    }
  }

  /** The handler's result per job: a value, or the error that failed it. */
  private async outcomes(live: { job: ClaimedJob; state: Running }[]): Promise<Outcome[]> {
    try {
      const contexts = live.map(({ job, state }) => ({
        id: job.id,
        type: job.type,
        data: JSON.parse(job.data) as unknown,
        userId: job.userId,
        attempt: job.attempts,
        signal: state.abort.signal,
      }))
      if (!this.s.batch) {
        return [{ ok: true, value: await (this.handler as JobHandler<unknown, unknown>)(contexts[0]!) }]
      }
      const results = await (this.handler as BatchHandler<unknown, unknown>)(contexts)
      if (!Array.isArray(results) || results.length !== live.length) {
        const got = Array.isArray(results) ? `${results.length} results` : 'no array'
        throw new Error(`batch handler returned ${got} for ${live.length} jobs`)
      }
      return results.map((value) =>
        value instanceof Error ? { ok: false, error: value } : { ok: true, value },
      )
    } catch (error) {
      return live.map(() => ({ ok: false, error }))
    }
  }

  private async settle(job: ClaimedJob, state: Running, outcome: Outcome): Promise<void> {
    try {
      // Abandoned, or its lease is (or may be) another worker's: the job runs again there.
      if (state.abandoned) return
      if (outcome.ok) {
        await this.port.complete(job.id, job.leaseToken, JSON.stringify(outcome.value ?? null))
        return
      }
      if (state.abort.signal.aborted) return
      const { error } = outcome
      const message = error instanceof Error ? error.message : String(error)
      const retry = job.attempts <= job.maxRetries
      const delay = job.backoffMs * 2 ** (job.attempts - 1)
      const requeued = await this.port.fail(job.id, job.leaseToken, message, retry ? delay : undefined)
      // Nobody is told when a retry comes due: this worker looks again then, not a poll later.
      if (retry && requeued && !this.stopped) {
        const due = setTimeout(() => this.nudge(), delay + 1)
        ;(due as { unref?: () => void }).unref?.()
      }
    } catch {
      // The store failed to record the outcome: the lease lapses and the job runs again.
    }
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }
