import PQueue from 'p-queue'
import type { JobRecord, QueuePort } from '../store/queue-port'
import { sleep } from '../util/sleep'

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

export interface WorkerSettings {
  concurrency: number
  batchSize: number
  pollMs: number
  leaseMs: number
  agingMs: number
  backoffMs: number
  now: () => number
  onDuration: (ms: number) => void
}

/** Claims jobs of one type and runs them with bounded concurrency (p-queue), renewing leases. */
export class Worker {
  private readonly running = new PQueue()
  private stopped = false
  private readonly abort = new AbortController()
  private wake: (() => void) | undefined
  private readonly loop: Promise<void>
  private readonly unsubscribe: () => void

  constructor(
    private readonly port: QueuePort,
    private readonly type: string,
    private readonly handler: JobHandler<unknown, unknown>,
    private readonly s: WorkerSettings,
  ) {
    this.running.concurrency = s.concurrency
    this.running.on('next', () => this.wake?.()) // a slot freed up
    this.unsubscribe = port.onAvailable(type, () => this.wake?.())
    this.loop = this.run()
  }

  /** Stops claiming, lets running jobs finish (or abort after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true
    this.unsubscribe()
    this.wake?.()
    await this.loop
    const timer = setTimeout(() => this.abort.abort(), graceMs)
    await this.running.onIdle()
    clearTimeout(timer)
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const free = this.s.concurrency - this.running.pending - this.running.size
      let claimed: JobRecord[] = []
      if (free > 0) {
        try {
          claimed = await this.port.claim({
            type: this.type,
            max: Math.min(free, this.s.batchSize),
            leaseMs: this.s.leaseMs,
            agingMs: this.s.agingMs,
          })
        } catch {
          claimed = [] // store hiccup: try again after the poll interval
        }
      }
      for (const job of claimed) void this.running.add(() => this.execute(job))
      if (claimed.length > 0 && claimed.length === Math.min(free, this.s.batchSize)) continue
      const poll = new AbortController()
      await new Promise<void>((resolve) => {
        this.wake = resolve
        // Wake when a job arrives, a running job ends (a slot frees), or the poll interval passes.
        sleep(this.s.pollMs, poll.signal).then(resolve, () => {})
      })
      poll.abort()
      this.wake = undefined
    }
  }

  private async execute(job: JobRecord): Promise<void> {
    const started = this.s.now()
    const renew = setInterval(() => void this.port.extendLease(job.id, this.s.leaseMs), this.s.leaseMs / 3)
    try {
      const result = await this.handler({
        id: job.id,
        type: job.type,
        data: JSON.parse(job.data),
        userId: job.userId,
        attempt: job.attempts,
        signal: this.abort.signal,
      })
      await this.port.complete(job.id, JSON.stringify(result ?? null))
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      const retry = job.attempts <= job.maxRetries
      const delay = job.backoffMs * 2 ** (job.attempts - 1)
      await this.port.fail(job.id, message, retry ? this.s.now() + delay : undefined)
    } finally {
      clearInterval(renew)
      this.s.onDuration(this.s.now() - started)
    }
  }
}
