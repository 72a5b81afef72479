/**
 * One reader of the stats for every open page of this instance: while at least one page listens,
 * it reads a snapshot every `everyMs` and sends the same server-sent event to all of them; with
 * none listening it reads nothing. A page that opens gets the latest event at once.
 */
export class SnapshotFeed {
  private readonly pages = new Set<(event: string) => void>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private reading = false
  private last: string | undefined

  constructor(
    private readonly read: () => Promise<unknown>,
    private readonly everyMs: number,
  ) {}

  /** How many pages listen now. */
  get listeners(): number {
    return this.pages.size
  }

  subscribe(send: (event: string) => void): () => void {
    this.pages.add(send)
    if (this.last !== undefined) send(this.last)
    if (!this.reading && this.timer === undefined) void this.turn()
    return () => {
      this.pages.delete(send)
      if (this.pages.size === 0 && this.timer !== undefined) {
        clearTimeout(this.timer)
        this.timer = undefined
      }
    }
  }

  private async turn(): Promise<void> {
    this.timer = undefined
    this.reading = true
    try {
      this.last = `data: ${JSON.stringify(await this.read())}\n\n`
    } catch (error) {
      // The page says so and keeps listening; the next turn tries again.
      this.last = `event: failure\ndata: ${JSON.stringify({ message: (error as Error)?.message ?? String(error) })}\n\n`
    } finally {
      this.reading = false
    }
    for (const send of [...this.pages]) send(this.last)
    if (this.pages.size > 0) this.timer = setTimeout(() => void this.turn(), this.everyMs)
  }
}

/** A text/event-stream response fed by `feed` until the client goes (or `signal` aborts). */
export function eventStream(
  feed: SnapshotFeed,
  signal: AbortSignal | undefined,
  headers: Record<string, string>,
) {
  const encoder = new TextEncoder()
  let stop = () => {}
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const unsubscribe = feed.subscribe((event) => {
        try {
          controller.enqueue(encoder.encode(event))
        } catch {
          stop() // the stream was closed under us
        }
      })
      stop = () => {
        unsubscribe()
        try {
          controller.close()
        } catch {} // already closed
      }
      signal?.addEventListener('abort', () => stop(), { once: true })
    },
    cancel() {
      stop()
    },
  })
  return new Response(body, {
    headers: {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'x-accel-buffering': 'no', // proxies such as nginx pass each event on at once
    },
  })
}
