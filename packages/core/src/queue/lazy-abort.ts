/** An AbortController made only when its signal is asked for (most handlers never read it). */
export class LazyAbort {
  private controller: AbortController | undefined
  private done = false

  abort(): void {
    this.done = true
    this.controller?.abort()
  }

  get aborted(): boolean {
    return this.done
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController()
      if (this.done) this.controller.abort()
    }
    return this.controller.signal
  }
}
