import type { z } from 'zod'
import { SluiceError } from '../../errors/sluice-error'
import type { BreakerPort } from '../../store/breaker-port'
import type { breakerSchema } from '../resilience-schema'
import { isProviderFailure } from '../retryable'
import { type CircuitStateName, FleetState, type Gate } from './fleet-state'
import { isLocalRefusal, LocalCount } from './local-count'

/** A circuit as this instance sees it: what `toJSON()` gives (and `breakerStates()` shows). */
export interface CircuitSnapshot {
  name: string
  state: CircuitStateName
  /** ms until an open circuit lets a probe through; 0 when closed. */
  retryAfterMs: number
}

/** One target's circuit breaker: a small interface whose state serialises. */
export interface Circuit {
  /** What the next attempt may do: go (`closed`), be refused (`open`), or be the fleet's probe. */
  admit(): Promise<Gate>
  /** Runs an admitted attempt and counts how it ended. */
  execute<T>(gate: Gate, attempt: () => Promise<T>): Promise<T>
  toJSON(): CircuitSnapshot
}

export interface CircuitOptions {
  breaker: z.output<typeof breakerSchema>
  port: BreakerPort
  key: string
  probeLeaseMs: number
  now: () => number
  /** Told of each state change this instance sees, its own or another instance's. */
  changed: (name: string, state: CircuitStateName) => void
}

/**
 * The circuit of one target for the whole fleet. This instance counts its own attempts
 * (`LocalCount`) and decides from them when to open; the state every instance obeys lives in the
 * store (`FleetState`), so the fleet opens together and sends one half-open probe. When the
 * store cannot answer, the local count decides alone.
 */
export class TargetCircuit implements Circuit {
  readonly local: LocalCount
  private readonly fleet: FleetState
  // The fleet-wide open the local count is writing, awaited by the next admission.
  private opening: Promise<void> | undefined

  constructor(
    readonly name: string,
    private readonly o: CircuitOptions,
  ) {
    this.fleet = new FleetState(
      {
        port: o.port,
        key: o.key,
        resetTimeoutMs: o.breaker.resetTimeout,
        probeLeaseMs: o.probeLeaseMs,
        now: o.now,
      },
      (state) => {
        if (state !== 'half-open') this.local.follow(state)
        o.changed(name, state)
      },
    )
    this.local = new LocalCount(o.breaker, () => {
      this.opening = this.fleet
        .opened()
        .catch(() => {}) // the store is down: the local count still protects this instance
        .finally(() => {
          this.opening = undefined
        })
    })
  }

  async admit(): Promise<Gate> {
    if (this.opening) await this.opening
    let gate: Gate
    try {
      gate = await this.fleet.gate()
    } catch {
      gate = 'closed' // the store cannot say: this instance's own count decides
    }
    return gate === 'closed' && this.local.refuses ? 'open' : gate
  }

  async execute<T>(gate: Gate, attempt: () => Promise<T>): Promise<T> {
    if (gate === 'open') throw this.refusal()
    if (gate === 'probe') return this.probe(attempt)
    try {
      return await this.local.fire(attempt)
    } catch (error) {
      throw isLocalRefusal(error) ? this.refusal() : error
    }
  }

  /** `circuit_open`, with how long until the probe. */
  refusal(): SluiceError {
    return new SluiceError('circuit_open', `${this.name}: circuit open`, {
      provider: this.name,
      retryAfterMs: this.retryAfterMs() || this.o.breaker.resetTimeout,
    })
  }

  retryAfterMs(): number {
    return this.fleet.retryAfterMs()
  }

  /** The fleet's state as last read, or this instance's own before (or without) a store read. */
  get state(): CircuitStateName {
    return this.fleet.state ?? this.local.state
  }

  /** Held while it protects: an open or half-open circuit is never dropped to make room. */
  get holding(): boolean {
    return this.state !== 'closed' || this.local.state !== 'closed'
  }

  toJSON(): CircuitSnapshot {
    return { name: this.name, state: this.state, retryAfterMs: this.retryAfterMs() }
  }

  /** The fleet's one half-open probe, sent by this instance: its outcome closes or reopens the circuit. */
  private async probe<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      const value = await attempt()
      await this.fleet.probed(true).catch(() => {})
      return value
    } catch (error) {
      // A request-caused failure or a 429 says nothing against the provider: the circuit closes.
      await this.fleet.probed(!isProviderFailure(error)).catch(() => {})
      throw error
    }
  }
}
