/** How late past its timeout a call may still take effect: the network's share of the wait. */
const MARGIN_MS = 100

/**
 * Where a backend's clock stands against this process's, learnt from the server time its answers
 * carry, so a call can tell the server when it stops mattering. A command a client library
 * replays after a reconnect, or a frozen server runs when it wakes, comes after its caller gave
 * up (the store timeout): past its deadline the backend must not apply it.
 */
export class ServerClock {
  private offset: number | undefined

  constructor(private readonly now: () => number = Date.now) {}

  /** Records the server time an answer carried. */
  observe(serverNow: number): void {
    if (Number.isFinite(serverNow)) this.offset = serverNow - this.now()
  }

  /** The server time past which a call sent now must not take effect; 0 before any answer. */
  deadline(timeoutMs: number): number {
    return this.offset === undefined ? 0 : this.now() + this.offset + timeoutMs + MARGIN_MS
  }
}
