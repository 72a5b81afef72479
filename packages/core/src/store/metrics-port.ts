/** What one flush writes: counter increments and set members, each with its expiry. */
export interface MetricsBatch {
  counters: { name: string; by: number; ttlMs: number }[]
  sets: { name: string; members: string[]; ttlMs: number }[]
}

/** Cross-instance counters for stats(): every instance's flushes add up in the store. */
export interface MetricsPort {
  /** Applies a whole batch in one call; a counter's expiry is renewed by each write. */
  write(batch: MetricsBatch): Promise<void>
  /** Counter values, 0 for missing ones. */
  get(names: readonly string[]): Promise<number[]>
  /** Distinct members across these sets (their union); a backend may estimate large sets (HyperLogLog). */
  countDistinct(names: readonly string[]): Promise<number>
}
