import type { MinuteLimits } from './minute-limits'

/**
 * A key pool as providers limit it: each accepted key its own rate-limit window; a revoked key,
 * or one not in the pool, is refused (401). Counts each pool key's requests, refused ones too.
 */
export class KeyPool {
  private readonly windows: Map<string, MinuteLimits>
  private readonly revoked = new Set<string>()
  readonly requestsByKey: Record<string, number> = Object.create(null)

  constructor(keys: readonly string[], newLimits: () => MinuteLimits) {
    this.windows = new Map(keys.map((k) => [k, newLimits()]))
  }

  get size(): number {
    return this.windows.size
  }

  /** Counts the request; false when the key is refused. */
  admits(key: string): boolean {
    if (!this.windows.has(key)) return false
    this.requestsByKey[key] = (this.requestsByKey[key] ?? 0) + 1
    return !this.revoked.has(key)
  }

  revoke(key: string): void {
    this.revoked.add(key)
  }

  windowOf(key: string): MinuteLimits | undefined {
    return this.windows.get(key)
  }
}
