import PQueue from 'p-queue'
import type { ClaimedJob, QueuePort } from '../store/queue-port'
import type { ClaimGate } from './claim-gate'
import { claimSizes } from './claim-plan'
import { outcomesOf, settleJob } from './job-outcome'
import { holdLeases, type Running } from './lease-hold'

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
  /** A unit ran: its time per job, and how many jobs it held. */
  onDuration: (ms: number, jobs: number) => void
  /** Holds claims while one of this worker's jobs waits for its provider's capacity. */
  gate?: ClaimGate
}

export interface StopResult {
  /**
   * Jobs still running when the grace period ended, or whose result had not reached the store
   * yet. Their handlers were aborted and their leases are no longer renewed, so another worker
   * runs them once the lease lapses (unless the result that was on its way lands first); whatever
   * an abandoned handler returns later is ignored.
   */
  abandoned: string[]
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
  /** Adds under way that may take their job for this worker, each holding a slot (see `offer`). */
  private readonly takes = new Set<Promise<void>>()
  /** Units whose handler ended and whose settles are on their way. */
  private readonly settling = new Set<Promise<void>>()

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
    const unsubscribe = port.onAvailable(type, () => this.nudge())
    const ungate = s.gate?.onOpen(() => this.nudge())
    this.unsubscribe = () => {
      unsubscribe()
      ungate?.()
    }
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
    const idle = this.running.onIdle().then(() => Promise.all(this.settling))
    const ended = await Promise.race([idle.then(() => 'idle' as const), graceOver])
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
   * Sends an add that may take its job for this worker (AddOptions.take) when one of its slots is
   * free: the store then hands the job straight here instead of waking a worker, and it runs in
   * that slot (a batch handler gets a batch of one). Not for group claims, which gather a group's
   * jobs by claim. Undefined, and nothing sent, when no slot is free; the slot is held while the
   * add travels. The lease counts from `sentAt`, when the add was sent.
   */
  offer(
    add: (take: { leaseMs: number }) => Promise<ClaimedJob | undefined>,
    sentAt: number,
  ): Promise<ClaimedJob | undefined> | undefined {
    if (this.stopped || this.s.batch?.byGroup) return undefined
    if (this.s.gate?.open === false) return undefined // as for claims
    if (this.running.pending + this.running.size + this.takes.size >= this.s.concurrency) return undefined
    const adding = add({ leaseMs: this.s.leaseMs })
    const taking: Promise<void> = adding
      .then(
        (job) => {
          if (job) this.start([job], sentAt)
        },
        () => {}, // the add failed: its caller hears why
      )
      .finally(() => this.takes.delete(taking))
    this.takes.add(taking)
    return adding
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
      // Up to `concurrency` units may be settling besides those running; past that they hold slots.
      const settlingOver = Math.max(0, this.settling.size - this.s.concurrency)
      const slots =
        this.s.concurrency + ahead - this.running.pending - this.running.size - this.takes.size - settlingOver
      // None while a job of this worker waits for its provider's capacity: it would wait too.
      const free = this.s.gate?.open === false ? 0 : slots
      const sizes = claimSizes(free, this.s.batchSize, batch !== undefined, this.backlog)
      const claimedAt = this.s.now()
      // Each claim's jobs start as it returns: while one claim's jobs run here, the store
      // works on the next claim instead of both sides taking turns.
      const sets = await Promise.allSettled(
        sizes.map((max) =>
          this.port
            .claim({
              type: this.type,
              max,
              leaseMs: this.s.leaseMs,
              ...(batch?.byGroup ? { byGroup: true } : {}),
            })
            .then((jobs) => {
              if (!batch) for (const job of jobs) this.start([job], claimedAt)
              else if (jobs.length > 0) this.start(jobs, claimedAt)
              return jobs
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
      // A batch claim may come back short with more in line (one group, or a job alone): look again while slots are free.
      if (batch && claimed.length > 0 && free > claims.filter((c) => c.length > 0).length) continue
      if (this.backlog) continue
      if (this.stopped || (this.woken && failures === 0)) continue
      const wait =
        failures > 0 ? Math.min(this.s.pollMs, STORE_RETRY_MS * 2 ** (failures - 1)) : this.s.pollMs
      // Wake when a job arrives, a running job ends (a slot frees), or the poll interval passes.
      // (A bare timer: this loop turns once per claim, and an aborted signal costs an error.)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait)
        this.wake =
          failures > 0
            ? undefined
            : () => {
                clearTimeout(timer)
                resolve()
              }
      })
      this.wake = undefined
    }
  }

  /** Holds the leases of a claimed unit (one job, or a batch) and queues it for a slot. */
  private start(unit: ClaimedJob[], claimedAt: number): void {
    const states = holdLeases(this.port, unit, claimedAt, this.s.leaseMs, this.s.now)
    for (let i = 0; i < unit.length; i++) this.jobs.set(unit[i]!.id, states[i]!)
    void this.running.add(() => this.execute(unit, states)).catch(() => {})
  }

  /**
   * Runs a unit (one job, or a batch), then settles each of its jobs by its own lease. The slot
   * frees when the handler ends: the settle goes on without it (its leases held until it lands),
   * so the next claim travels with it instead of a round trip later.
   */
  private async execute(unit: ClaimedJob[], states: Running[]): Promise<void> {
    const started = this.s.now()
    // Lost while it waited for a slot, or the worker gave up on it: it runs elsewhere.
    const live = unit
      .map((job, i) => ({ job, state: states[i]! }))
      .filter(({ state }) => !state.abandoned && !state.abort.aborted)
    if (live.length === 0) {
      this.release(unit, states)
      return
    }
    const outcomes = await outcomesOf(this.handler, this.s.batch !== undefined, live)
    const took = (this.s.now() - started) / unit.length
    if (!this.s.batch) this.avgMs = Number.isFinite(this.avgMs) ? this.avgMs * 0.8 + took * 0.2 : took
    this.s.onDuration(took, live.length)
    // settleJob() never throws: a settle the store did not record lets the lease lapse.
    const settles = Promise.all(
      live.map(({ job, state }, i) =>
        settleJob(this.port, job, state, outcomes[i]!).then((d) => this.retryDue(d)),
      ),
    )
    const landed: Promise<void> = settles.then(() => {
      const bound = this.settling.size > this.s.concurrency
      this.settling.delete(landed)
      this.release(unit, states)
      if (bound) this.nudge() // settles in flight were what held the claims back
    })
    this.settling.add(landed)
  }

  /** Stops holding a unit's leases; jobs the worker gave up on stay listed until stop() names them. */
  private release(unit: ClaimedJob[], states: Running[]): void {
    for (const [i, state] of states.entries()) {
      state.release()
      if (!state.abandoned) this.jobs.delete(unit[i]!.id)
    }
  }

  /** Nobody is told when a retry comes due: this worker looks again then, not a poll later. */
  private retryDue(delay: number | undefined): void {
    if (delay === undefined || this.stopped) return
    const due = setTimeout(() => this.nudge(), delay + 1)
    ;(due as { unref?: () => void }).unref?.()
  }
}
