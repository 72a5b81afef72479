/**
 * Holds a worker's claims while a job it runs waits for its provider's capacity: a job claimed
 * then would only wait behind it, its lease held, when it can stay in the store in priority order
 * for whichever worker's provider has room first (or for this one, once its jobs go). Told by each
 * job's call when it starts (`waiting(true)`) and stops waiting; claims resume when none waits.
 */
export class ClaimGate {
  private waitingNow = 0
  private readonly listeners = new Set<() => void>()

  get open(): boolean {
    return this.waitingNow === 0
  }

  readonly waiting = (yes: boolean): void => {
    this.waitingNow = Math.max(0, this.waitingNow + (yes ? 1 : -1))
    if (this.waitingNow === 0) for (const listener of this.listeners) listener()
  }

  /** Told when the gate opens again; returns the unsubscribe. */
  onOpen(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
