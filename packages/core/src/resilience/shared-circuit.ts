import type { BreakerPort, BreakerState } from '../store/breaker-port'
import { BoundedMap } from '../util/lru'

export type Gate = 'closed' | 'open' | 'probe'

export interface SharedCircuitOptions {
  port: BreakerPort
  /** How long an opened circuit refuses before one probe is let through. */
  resetTimeoutMs: number
  /** How long a probe may take before another instance may send its own (the attempt timeout). */
  probeLeaseMs: number
  /** The store key of a breaker's state. */
  keyOf: (name: string) => string
  now?: () => number
}

/**
 * A circuit's state kept in the store's breaker port, so a fleet opens together and sends one
 * half-open probe between all its instances. Each instance's opossum breaker still decides when
 * to open from its own failures (`opened`); the store holds the state everyone obeys, and every
 * change is a compare-and-set on its version, so exactly one instance wins each transition.
 */
export class SharedCircuit {
  private readonly now: () => number
  private readonly seen = new BoundedMap<string, { state: BreakerState['state']; since: number }>(1_000)

  constructor(
    private readonly o: SharedCircuitOptions,
    /** Called when this instance sees a breaker's state change (its own doing or another's). */
    private readonly changed: (name: string, state: BreakerState['state']) => void,
  ) {
    this.now = o.now ?? Date.now
  }

  private see(name: string, state: BreakerState['state'], since?: number): void {
    const before = this.seen.get(name)
    // Seen as it was (most calls: closed, and closed again): nothing to record.
    if (before?.state === state && (state === 'closed' || before.since === since)) return
    this.seen.set(name, { state, since: since ?? this.now() })
    if ((before?.state ?? 'closed') !== state) this.changed(name, state)
  }

  /**
   * Whether an attempt may go: `closed` (through the local breaker as usual), `open` (refuse
   * without calling), or `probe` (this instance won the half-open probe: call, then report).
   */
  async gate(name: string): Promise<Gate> {
    const key = this.o.keyOf(name)
    const s = await this.o.port.get(key)
    this.see(name, s?.state ?? 'closed', s?.since)
    if (!s || s.state === 'closed') return 'closed'
    const waited = this.now() - s.since
    // open: refuse until the reset timeout; half-open: a probe is out, until its lease lapses.
    if (waited < (s.state === 'open' ? this.o.resetTimeoutMs : this.o.probeLeaseMs)) return 'open'
    const won = await this.o.port.compareAndSet(key, s.version, { state: 'half-open', since: this.now() })
    if (won) this.see(name, 'half-open')
    return won ? 'probe' : 'open'
  }

  /** This instance's breaker opened: the fleet's does too (unless someone changed it first). */
  async opened(name: string): Promise<void> {
    const key = this.o.keyOf(name)
    const s = await this.o.port.get(key)
    if (s && s.state !== 'closed') return
    if (await this.o.port.compareAndSet(key, s?.version ?? 0, { state: 'open', since: this.now() }))
      this.see(name, 'open')
  }

  /** The probe this instance sent came back: close on success, open again on failure. */
  async probed(name: string, ok: boolean): Promise<void> {
    const key = this.o.keyOf(name)
    const s = await this.o.port.get(key)
    if (s?.state !== 'half-open') return
    const next = ok ? 'closed' : 'open'
    if (await this.o.port.compareAndSet(key, s.version, { state: next, since: this.now() }))
      this.see(name, next)
  }

  /** The state this instance last saw in the store, per breaker. */
  states(): Record<string, BreakerState['state']> {
    return Object.fromEntries([...this.seen.entries()].map(([name, s]) => [name, s.state]))
  }

  /** ms until an open circuit lets a probe through, as far as this instance last saw. */
  retryAfterMs(name: string): number {
    const s = this.seen.get(name)
    if (!s || s.state === 'closed') return 0
    return Math.max(0, s.since + this.o.resetTimeoutMs - this.now())
  }
}
