/**
 * An AbortController made only when its signal is asked for: most handlers and in-process
 * providers never read it, and making one costs more than the call it guards.
 */
export class LazyAbort {
  private controller: AbortController | undefined
  private done = false
  private reason: unknown

  abort(reason?: unknown): void {
    if (this.done) return
    this.done = true
    this.reason = reason
    this.controller?.abort(reason)
  }

  get aborted(): boolean {
    return this.done
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController()
      if (this.done) this.controller.abort(this.reason)
    }
    return this.controller.signal
  }
}
