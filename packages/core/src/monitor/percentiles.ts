/** The last `size` samples in a ring, for latency percentiles without unbounded growth. */
export class SampleRing {
  private readonly samples: number[] = []
  private next = 0

  constructor(private readonly size = 2048) {}

  add(value: number): void {
    if (this.samples.length < this.size) this.samples.push(value)
    else this.samples[this.next] = value
    this.next = (this.next + 1) % this.size
  }

  /** Nearest-rank percentile, p in 0..100; 0 with no samples. */
  percentile(p: number): number {
    if (this.samples.length === 0) return 0
    const sorted = [...this.samples].sort((a, b) => a - b)
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
    return sorted[rank]!
  }
}
