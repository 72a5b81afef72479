import type { JobCounts, JobRecord } from '../store/queue-port'
import { entryOf } from '../util/entry-of'

type FinalCounts = Pick<JobCounts, 'completed' | 'failed' | 'expired' | 'cancelled'>

/**
 * The memory queue's finished jobs, in the order they finished: the oldest leave first, past the
 * retention or the cap, and each type's counts move with them, so counts cost O(types).
 */
export class FinishedJobs {
  private readonly jobs = new Map<string, JobRecord & { status: keyof FinalCounts }>()
  private readonly counts = new Map<string, FinalCounts>()

  constructor(
    private readonly retentionMs: number,
    private readonly maxJobs: number,
    private readonly now: () => number,
  ) {}

  add(job: JobRecord): void {
    this.jobs.delete(job.id)
    this.jobs.set(job.id, job as JobRecord & { status: keyof FinalCounts })
    this.move(job.type, job.status as keyof FinalCounts, 1)
    this.prune()
  }

  get(id: string): JobRecord | undefined {
    this.prune()
    return this.jobs.get(id)
  }

  /** Finished jobs kept per status, of one type or all. */
  countsOf(type: string | undefined): FinalCounts {
    this.prune()
    const sum: FinalCounts = { completed: 0, failed: 0, expired: 0, cancelled: 0 }
    for (const [t, c] of this.counts) {
      if (type !== undefined && t !== type) continue
      for (const k of Object.keys(sum) as (keyof FinalCounts)[]) sum[k] += c[k]
    }
    return sum
  }

  /** Drops from the front (the oldest) while it is past the retention or over the cap. */
  private prune(): void {
    const oldest = this.now() - this.retentionMs
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= this.maxJobs && (job.finishedAt ?? 0) > oldest) break
      this.jobs.delete(id)
      this.move(job.type, job.status, -1)
    }
  }

  private move(type: string, status: keyof FinalCounts, by: number): void {
    entryOf(this.counts, type, () => ({ completed: 0, failed: 0, expired: 0, cancelled: 0 }))[status] += by
  }
}
