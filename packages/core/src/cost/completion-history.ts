import { BoundedMap } from '../util/lru'

const KEEP = 20
/** Headroom over the longest recent answer, for answers that run a little longer than usual. */
const HEADROOM = 1.5

/**
 * The completion tokens recent answers really used, per endpoint and model, so a budget
 * reservation can expect what the endpoint returns instead of the whole `max_tokens`. Kept per
 * process and bounded; with no history yet, the estimate is the cap itself.
 */
export class CompletionHistory {
  private readonly recent = new BoundedMap<string, number[]>(1_000)

  observe(endpoint: string, model: string, completionTokens: number): void {
    if (!Number.isFinite(completionTokens) || completionTokens < 0) return
    const key = `${endpoint}\u0000${model}`
    const ring = this.recent.get(key) ?? []
    ring.push(completionTokens)
    if (ring.length > KEEP) ring.shift()
    this.recent.set(key, ring)
  }

  /** Output tokens to reserve: the longest recent answer with headroom, never above `cap`. */
  expected(endpoint: string, model: string, cap: number): number {
    const ring = this.recent.get(`${endpoint}\u0000${model}`)
    if (!ring || ring.length === 0) return cap
    return Math.min(cap, Math.ceil(Math.max(...ring) * HEADROOM))
  }
}
