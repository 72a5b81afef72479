/** Cross-instance counters for Monitor.stats(). */
export interface MetricsPort {
  incr(name: string, by: number, ttlMs: number): Promise<void>
  get(names: readonly string[]): Promise<number[]>
  /** Adds a member to a set (active users); `count` returns the distinct members. */
  addToSet(name: string, member: string, ttlMs: number): Promise<void>
  countSet(name: string): Promise<number>
}
