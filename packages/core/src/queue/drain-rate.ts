import { MetricsBuffer } from '../monitor/metrics-buffer'
import type { MetricsPort } from '../store/metrics-port'
import { keyOf } from '../util/keys'

/** Counts per 5 s; the rate looks back a minute. */
const BUCKET_MS = 5_000
const BUCKETS = 12

/**
 * How fast the fleet's workers get through a type's jobs: each worker counts the jobs it ran per
 * 5 s in the store's metrics (buffered, one write a second), and any instance reads the last
 * minute from there: the jobs counted over the time since the first bucket that has any (so a
 * queue that started draining seconds ago is not taken for a slow one). With no metrics port,
 * only this process's workers are counted.
 */
export class DrainRate {
  private readonly buffer: MetricsBuffer | undefined
  /** Without a metrics port: this process's counts by bucket. */
  private readonly local = new Map<string, number>()

  constructor(
    private readonly metrics: MetricsPort | undefined,
    private readonly now: () => number,
  ) {
    this.buffer = metrics ? new MetricsBuffer(metrics) : undefined
  }

  /** A worker here ran `jobs` jobs of `type`. */
  ran(type: string, jobs: number): void {
    const key = this.key(type, Math.floor(this.now() / BUCKET_MS))
    if (this.buffer) this.buffer.count(key, jobs, (BUCKETS + 2) * BUCKET_MS)
    else {
      this.local.set(key, (this.local.get(key) ?? 0) + jobs)
      if (this.local.size > 4 * BUCKETS) this.local.delete(this.local.keys().next().value!)
    }
  }

  /** Jobs per millisecond lately, 0 when none ran in the last minute. */
  async perMs(type: string): Promise<number> {
    const t = this.now()
    const current = Math.floor(t / BUCKET_MS)
    const names = Array.from({ length: BUCKETS + 1 }, (_, i) => this.key(type, current - BUCKETS + i))
    const counts = this.metrics ? await this.metrics.get(names) : names.map((n) => this.local.get(n) ?? 0)
    const first = counts.findIndex((n) => n > 0)
    if (first < 0) return 0
    const since = (current - BUCKETS + first) * BUCKET_MS
    const jobs = counts.reduce((a, b) => a + b, 0)
    return jobs / Math.max(1_000, t - since)
  }

  close(): Promise<void> {
    return this.buffer?.close() ?? Promise.resolve()
  }

  private key(type: string, bucket: number): string {
    return `queue:ran:${keyOf(type)}:${bucket}`
  }
}
