export interface BreakerState {
  state: 'closed' | 'open' | 'half-open'
  /** When the state last changed (epoch ms). */
  since: number
  version: number
}

/** Shared circuit state per provider, so every instance opens together. */
export interface BreakerPort {
  get(name: string): Promise<BreakerState | undefined>
  /** Writes `next` only if the stored version is still `expectedVersion` (0 for none). */
  compareAndSet(name: string, expectedVersion: number, next: Omit<BreakerState, 'version'>): Promise<boolean>
}
