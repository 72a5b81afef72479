/**
 * Paces a worker's claims by its provider's capacity: a job it claimed holds the gate until its
 * call has capacity for its upstream attempt (or needs none, or ends), and the worker claims
 * nothing more while the gate is held. So under a full provider the backlog stays in the store,
 * in priority order, for whichever worker's provider has room first, instead of waiting on
 * workers with its leases held; when capacity is plentiful, claims follow each other at once.
 */
export class ClaimGate {
  /** The jobs claimed whose capacity is not settled yet. */
  private readonly held = new Set<string>()
  private readonly listeners = new Set<() => void>()

  get open(): boolean {
    return this.held.size === 0
  }

  hold(ids: readonly string[]): void {
    for (const id of ids) this.held.add(id)
  }

  /** The job has its capacity, or ended: the worker may claim again once no job holds the gate. */
  release(ids: readonly string[]): void {
    let changed = false
    for (const id of ids) changed = this.held.delete(id) || changed
    if (changed && this.held.size === 0) for (const listener of this.listeners) listener()
  }

  /** Told when the gate opens again; returns the unsubscribe. */
  onOpen(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
