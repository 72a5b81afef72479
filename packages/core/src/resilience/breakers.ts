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

/** One opossum breaker per target (provider), created on first use. */
export class Breakers {
  private readonly byName = new Map<string, CircuitBreaker<[Action], unknown>>()
  private readonly openedAt = new Map<string, number>()
  transitions = 0

  constructor(
    private readonly options: z.output<typeof breakerSchema>,
    private readonly emit: <E extends keyof BreakerEvents>(event: E, payload: BreakerEvents[E]) => void,
  ) {}

  get(name: string): CircuitBreaker<[Action], unknown> {
    let breaker = this.byName.get(name)
    if (breaker) return breaker
    this.makeRoom()
    breaker = new CircuitBreaker((action: Action) => action(), {
      timeout: false, // attempts carry their own timeout
      resetTimeout: this.options.resetTimeout,
      errorThresholdPercentage: this.options.errorPercentage,
      volumeThreshold: this.options.failureThreshold,
      rollingCountTimeout: this.options.rollingWindow,
      // Client errors (400, 401…) say nothing about the provider's health.
      errorFilter: (error: unknown) => !isRetryable(error),
    })
    breaker.on('open', () => {
      this.openedAt.set(name, Date.now())
      this.transitions++
      this.emit('breaker:open', { name })
    })
    breaker.on('halfOpen', () => {
      this.transitions++
      this.emit('breaker:half-open', { name })
    })
    breaker.on('close', () => {
      this.transitions++
      this.emit('breaker:close', { name })
    })
    this.byName.set(name, breaker)
    return breaker
  }

  state(name: string): BreakerStateName {
    const b = this.byName.get(name)
    if (!b) return 'closed'
    return b.halfOpen ? 'half-open' : b.opened ? 'open' : 'closed'
  }

  /** ms until an open breaker lets a probe through. */
  retryAfterMs(name: string): number {
    const at = this.openedAt.get(name) ?? Date.now()
    return Math.max(0, at + this.options.resetTimeout - Date.now())
  }

  states(): Record<string, BreakerStateName> {
    return Object.fromEntries([...this.byName.keys()].map((n) => [n, this.state(n)]))
  }

  // Wrapped calls get a breaker per endpoint name, which apps choose: keep at most MAX_BREAKERS,
  // dropping the oldest closed ones (an open breaker is never forgotten while it protects).
  private makeRoom(): void {
    if (this.byName.size < MAX_BREAKERS) return
    for (const [name, b] of this.byName) {
      if (b.opened || b.halfOpen) continue
      b.shutdown()
      this.byName.delete(name)
      this.openedAt.delete(name)
      if (this.byName.size < MAX_BREAKERS) return
    }
  }

  shutdown(): void {
    for (const b of this.byName.values()) b.shutdown()
  }
}
