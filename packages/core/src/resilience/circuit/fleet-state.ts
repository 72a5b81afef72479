import type { BreakerPort, BreakerState } from '../../store/breaker-port'

export type CircuitStateName = BreakerState['state']

/** What an attempt may do: go as usual, be refused without calling, or be the fleet's one probe. */
export type Gate = 'closed' | 'open' | 'probe'

export interface FleetStateOptions {
  port: BreakerPort
  /** The store key of this circuit's state. */
  key: string
  /** How long an opened circuit refuses before one probe is let through. */
  resetTimeoutMs: number
  /** How long a probe may take before another instance may send its own (the attempt timeout). */
  probeLeaseMs: number
  now: () => number
}

/**
 * One target's circuit state in the store's breaker port, so a fleet opens together and sends one
 * half-open probe between all its instances. Every change is a compare-and-set on its version,
 * so exactly one instance wins each transition. `changed` hears each change this instance sees
 * (its own doing or another's).
 */
export class FleetState {
  private seen: { state: CircuitStateName; since: number } | undefined

  constructor(
    private readonly o: FleetStateOptions,
    private readonly changed: (state: CircuitStateName) => void,
  ) {}

  private see(state: CircuitStateName, since?: number): void {
    const before = this.seen
    // Seen as it was (most calls: closed, and closed again): nothing to record.
    if (before?.state === state && (state === 'closed' || before.since === since)) return
    this.seen = { state, since: since ?? this.o.now() }
    if ((before?.state ?? 'closed') !== state) this.changed(state)
  }

  /** The state this instance last read in the store; undefined before its first read. */
  get state(): CircuitStateName | undefined {
    return this.seen?.state
  }

  async gate(): Promise<Gate> {
    const s = await this.o.port.get(this.o.key)
    this.see(s?.state ?? 'closed', s?.since)
    if (!s || s.state === 'closed') return 'closed'
    const waited = this.o.now() - s.since
    // open: refuse until the reset timeout; half-open: a probe is out, until its lease lapses.
    if (waited < (s.state === 'open' ? this.o.resetTimeoutMs : this.o.probeLeaseMs)) return 'open'
    const won = await this.o.port.compareAndSet(this.o.key, s.version, {
      state: 'half-open',
      since: this.o.now(),
    })
    if (won) this.see('half-open')
    return won ? 'probe' : 'open'
  }

  /** This instance's own count opened the circuit: the fleet's opens too (unless someone changed it first). */
  async opened(): Promise<void> {
    const s = await this.o.port.get(this.o.key)
    if (s && s.state !== 'closed') return
    if (await this.o.port.compareAndSet(this.o.key, s?.version ?? 0, { state: 'open', since: this.o.now() }))
      this.see('open')
  }

  /** The probe this instance sent came back: close on success, open again on failure. */
  async probed(ok: boolean): Promise<void> {
    const s = await this.o.port.get(this.o.key)
    if (s?.state !== 'half-open') return
    const next = ok ? 'closed' : 'open'
    if (await this.o.port.compareAndSet(this.o.key, s.version, { state: next, since: this.o.now() }))
      this.see(next)
  }

  /** ms until an open circuit lets a probe through, as far as this instance last saw. */
  retryAfterMs(): number {
    const s = this.seen
    if (!s || s.state === 'closed') return 0
    return Math.max(0, s.since + this.o.resetTimeoutMs - this.o.now())
  }
}
