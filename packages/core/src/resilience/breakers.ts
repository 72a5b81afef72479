import { EventEmitter } from 'node:events'
import CircuitBreaker from 'opossum'
import type { z } from 'zod'
import type { breakerSchema } from './resilience-schema'
import { isRetryable } from './retryable'

export type BreakerStateName = 'closed' | 'open' | 'half-open'

export interface BreakerEvents extends Record<string, unknown> {
  'breaker:open': { name: string }
  'breaker:half-open': { name: string }
  'breaker:close': { name: string }
}

type Action = () => Promise<unknown>

export const MAX_BREAKERS = 1000
const BUCKETS = 10

interface Entry {
  breaker: CircuitBreaker<[Action], unknown>
  /** Rotates this breaker's rolling window; one shared timer drives every breaker's. */
  rotate: EventEmitter
}

/**
 * One opossum breaker per target (provider), created on first use: it counts this instance's
 * real attempts in its rolling window and decides when to open. Only real attempts count: a call
 * refused while the circuit is open never reaches it (opossum would count it as a fire and
 * dilute the error rate), and the window starts empty when the circuit closes, so a flapping
 * provider opens again after `failureThreshold` failures. The state the fleet obeys lives in the
 * store (`SharedCircuit`); `onOpen` tells it.
 */
export class Breakers {
  private readonly byName = new Map<string, Entry>()
  private readonly ticker: ReturnType<typeof setInterval>

  constructor(
    private readonly options: z.output<typeof breakerSchema>,
    private readonly onOpen: (name: string) => void,
  ) {
    this.ticker = setInterval(
      () => {
        for (const e of this.byName.values()) e.rotate.emit('rotate')
      },
      Math.max(1, Math.floor(options.rollingWindow / BUCKETS)),
    )
    this.ticker.unref?.()
  }

  get(name: string): CircuitBreaker<[Action], unknown> {
    const known = this.byName.get(name)
    if (known) return known.breaker
    this.makeRoom()
    const rotate = new EventEmitter()
    const breaker = new CircuitBreaker((action: Action) => action(), {
      timeout: false, // attempts carry their own timeout
      resetTimeout: this.options.resetTimeout,
      errorThresholdPercentage: this.options.errorPercentage,
      volumeThreshold: this.options.failureThreshold,
      rollingCountTimeout: this.options.rollingWindow,
      rollingCountBuckets: BUCKETS,
      rotateBucketController: rotate,
      // Client errors (400, 401, 413…) say nothing about the provider's health.
      errorFilter: (error: unknown) => !isRetryable(error),
    })
    breaker.on('open', () => this.onOpen(name))
    breaker.on('close', () => {
      for (let i = 0; i < BUCKETS; i++) rotate.emit('rotate') // a fresh window after recovery
    })
    this.byName.set(name, { breaker, rotate })
    return breaker
  }

  /** True when this instance's own breaker refuses: open, or half-open with its probe out. */
  refuses(name: string): boolean {
    const b = this.byName.get(name)?.breaker
    return b !== undefined && (b.opened || (b.halfOpen && !b.pendingClose))
  }

  /** Follows the fleet's state: open after a failed probe, closed after a good one anywhere. */
  follow(name: string, state: 'open' | 'closed'): void {
    const b = this.byName.get(name)?.breaker
    if (!b) return
    if (state === 'closed' && !b.closed) b.close()
    if (state === 'open' && !b.opened) b.open()
  }

  state(name: string): BreakerStateName {
    const b = this.byName.get(name)?.breaker
    if (!b) return 'closed'
    return b.halfOpen ? 'half-open' : b.opened ? 'open' : 'closed'
  }

  states(): Record<string, BreakerStateName> {
    return Object.fromEntries([...this.byName.keys()].map((n) => [n, this.state(n)]))
  }

  // Wrapped calls get a breaker per endpoint name, which apps choose: keep at most MAX_BREAKERS,
  // dropping the oldest closed ones (an open breaker is never forgotten while it protects).
  private makeRoom(): void {
    if (this.byName.size < MAX_BREAKERS) return
    for (const [name, { breaker }] of this.byName) {
      if (breaker.opened || breaker.halfOpen) continue
      breaker.shutdown()
      this.byName.delete(name)
      if (this.byName.size < MAX_BREAKERS) return
    }
  }

  shutdown(): void {
    clearInterval(this.ticker)
    for (const { breaker } of this.byName.values()) breaker.shutdown()
  }
}
