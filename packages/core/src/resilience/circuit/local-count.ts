import { EventEmitter } from 'node:events'
import CircuitBreaker from 'opossum'
import type { z } from 'zod'
import type { breakerSchema } from '../resilience-schema'
import { isProviderFailure } from '../retryable'
import type { CircuitStateName } from './fleet-state'

export const BUCKETS = 10

/**
 * This instance's count of one target's real attempts (an opossum breaker): it decides when the
 * circuit opens. Only real attempts count: a call refused while the circuit is open never
 * reaches it (opossum would count it as a fire and dilute the error rate), and the window starts
 * empty when the circuit closes, so a flapping provider opens again after `failureThreshold`
 * failures. Client errors (400, 401, 413…) say nothing about the provider's health, and a 429
 * says it is full, not failing: neither counts.
 */
export class LocalCount {
  /** Rotates the rolling window; one shared timer drives every circuit's. */
  readonly rotate = new EventEmitter()
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>

  constructor(options: z.output<typeof breakerSchema>, onOpen: () => void) {
    this.breaker = new CircuitBreaker((action: () => Promise<unknown>) => action(), {
      timeout: false, // attempts carry their own timeout
      resetTimeout: options.resetTimeout,
      errorThresholdPercentage: options.errorPercentage,
      volumeThreshold: options.failureThreshold,
      rollingCountTimeout: options.rollingWindow,
      rollingCountBuckets: BUCKETS,
      rotateBucketController: this.rotate,
      errorFilter: (error: unknown) => !isProviderFailure(error),
    })
    this.breaker.on('open', onOpen)
    this.breaker.on('close', () => {
      for (let i = 0; i < BUCKETS; i++) this.rotate.emit('rotate') // a fresh window after recovery
    })
  }

  /** Runs an attempt and counts it; rejects without running it when this count refuses (`isLocalRefusal`). */
  fire<T>(attempt: () => Promise<T>): Promise<T> {
    return this.breaker.fire(attempt) as Promise<T>
  }

  /** True when this count refuses: open, or half-open with its probe out. */
  get refuses(): boolean {
    const b = this.breaker
    return b.opened || (b.halfOpen && !b.pendingClose)
  }

  /** Follows the fleet's state: open after a failed probe, closed after a good one anywhere. */
  follow(state: 'open' | 'closed'): void {
    if (state === 'closed' && !this.breaker.closed) this.breaker.close()
    if (state === 'open' && !this.breaker.opened) this.breaker.open()
  }

  get state(): CircuitStateName {
    return this.breaker.halfOpen ? 'half-open' : this.breaker.opened ? 'open' : 'closed'
  }

  shutdown(): void {
    this.breaker.shutdown()
  }
}

/** opossum's refusal of a fire while it is open. */
export const isLocalRefusal = (error: unknown) => (error as { code?: string })?.code === 'EOPENBREAKER'
