import type { TargetCircuit } from './circuit'
import { BUCKETS } from './local-count'

export const MAX_BREAKERS = 1000

/**
 * The circuits of an agent, one per target name, made on first use. Wrapped calls get one per
 * endpoint name, which apps choose: at most MAX_BREAKERS are kept, the oldest closed ones dropped
 * first (an open circuit is never forgotten while it protects). One timer rotates every
 * circuit's rolling window.
 */
export class Circuits {
  private readonly byName = new Map<string, TargetCircuit>()
  private readonly ticker: ReturnType<typeof setInterval>

  constructor(
    private readonly make: (name: string) => TargetCircuit,
    rollingWindowMs: number,
  ) {
    this.ticker = setInterval(
      () => {
        for (const c of this.byName.values()) c.local.rotate.emit('rotate')
      },
      Math.max(1, Math.floor(rollingWindowMs / BUCKETS)),
    )
    this.ticker.unref?.()
  }

  get(name: string): TargetCircuit {
    const known = this.byName.get(name)
    if (known) return known
    this.makeRoom()
    const circuit = this.make(name)
    this.byName.set(name, circuit)
    return circuit
  }

  /** The state of a circuit that exists; undefined for a name never used. */
  find(name: string): TargetCircuit | undefined {
    return this.byName.get(name)
  }

  states(): Record<string, string> {
    return Object.fromEntries([...this.byName.values()].map((c) => [c.name, c.state]))
  }

  private makeRoom(): void {
    if (this.byName.size < MAX_BREAKERS) return
    for (const [name, circuit] of this.byName) {
      if (circuit.holding) continue
      circuit.local.shutdown()
      this.byName.delete(name)
      if (this.byName.size < MAX_BREAKERS) return
    }
  }

  shutdown(): void {
    clearInterval(this.ticker)
    for (const c of this.byName.values()) c.local.shutdown()
  }
}
