/**
 * RPM/TPM accounting over fixed windows (a minute, as the providers report it; shorter in tests,
 * where `rpm` and `tpm` then count per window).
 */
export class MinuteLimits {
  private windowStart = Number.NEGATIVE_INFINITY
  /** Windows opened so far (a window opens at the first request after the last one ended). */
  windows = 0
  /** Requests admitted in each window opened (the last 1,000), the current one last. */
  readonly admitted: number[] = []
  private requests = 0
  private tokens = 0

  constructor(
    private readonly rpm: number,
    private readonly tpm: number,
    private readonly now: () => number,
    private readonly windowMs = 60_000,
  ) {}

  /** Counts the call if it fits; returns the state for headers either way. */
  take(tokens: number) {
    const t = this.now()
    if (t - this.windowStart >= this.windowMs) {
      this.windowStart = t
      this.windows++
      this.admitted.push(0)
      if (this.admitted.length > 1_000) this.admitted.shift()
      this.requests = 0
      this.tokens = 0
    }
    const resetMs = this.windowStart + this.windowMs - t
    const overRequests = this.rpm > 0 && this.requests + 1 > this.rpm
    const overTokens = this.tpm > 0 && this.tokens + tokens > this.tpm
    const allowed = !overRequests && !overTokens
    if (allowed) {
      this.admitted[this.admitted.length - 1]!++
      this.requests++
      this.tokens += tokens
    }
    return {
      allowed,
      resetMs,
      remainingRequests: this.rpm > 0 ? Math.max(0, this.rpm - this.requests) : undefined,
      remainingTokens: this.tpm > 0 ? Math.max(0, this.tpm - this.tokens) : undefined,
    }
  }
}

/** Go-style duration, as Groq writes x-ratelimit-reset-*: `7.66s`, `2m59.56s`. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`
  const m = Math.floor(ms / 60_000)
  const s = ((ms % 60_000) / 1000).toFixed(2).replace(/\.?0+$/, '')
  return m > 0 ? `${m}m${s}s` : `${s}s`
}
