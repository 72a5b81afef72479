/** A string key/value store with TTL. The core does serialisation and key building. */
export interface CachePort {
  get(key: string): Promise<string | undefined>
  set(key: string, value: string, ttlMs: number): Promise<void>
  /** Sets only if absent (a single-flight lock); true when this caller set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>
  /** Renews the TTL only while the key still holds `value` (the lock's owner renews its lease). */
  extendIf(key: string, value: string, ttlMs: number): Promise<boolean>
  delete(key: string): Promise<boolean>
  /** Deletes only while the key still holds `value` (the owner releases its lock, never another's). */
  deleteIf(key: string, value: string): Promise<boolean>
  /** Deletes every key that starts with `prefix`; returns how many went. */
  deletePrefix(prefix: string): Promise<number>
  /**
   * Push between instances, where the backend has it (Redis pub/sub): a single-flight leader
   * announces its answer so followers need not poll. Without it, followers poll (bounded).
   */
  publish?(channel: string, message: string): Promise<void>
  subscribe?(channel: string, listener: (message: string) => void): () => void
}
