/** A string key/value store with TTL. The core does serialisation and key building. */
export interface CachePort {
  get(key: string): Promise<string | undefined>
  set(key: string, value: string, ttlMs: number): Promise<void>
  /** Sets only if absent (a single-flight lock); true when this caller set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>
  delete(key: string): Promise<boolean>
  /** Deletes every key that starts with `prefix`; returns how many went. */
  deletePrefix(prefix: string): Promise<number>
}
