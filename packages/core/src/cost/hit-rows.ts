import type { Call, Outcome } from '../chain/types'
import type { UsagePort, UsageRow } from '../store/usage-port'

/** Rows waiting past this many are dropped (and counted): a store that is down must not grow memory. */
const MAX_WAITING = 10_000

/**
 * The usage rows of cache hits (cost 0, `cached`), written off the response path: gathered for
 * `flushMs`, then sent together, so a hit still costs its caller one store round trip and the
 * spend reports still count it (the cached share per user, endpoint, tier and day).
 */
export class HitRows {
  private waiting: UsageRow[] = []
  private timer: ReturnType<typeof setTimeout> | undefined
  private writing: Promise<unknown> = Promise.resolve()
  /** Rows lost to a failed write or a full buffer. */
  dropped = 0

  constructor(
    private readonly port: UsagePort,
    private readonly flushMs = 250,
  ) {}

  add(row: UsageRow): void {
    if (this.waiting.length >= MAX_WAITING) {
      this.dropped++
      return
    }
    this.waiting.push(row)
    if (this.timer) return
    this.timer = setTimeout(() => this.flush(), this.flushMs)
    this.timer.unref?.()
  }

  /** Sends what waits; resolves when it is written (or counted as dropped). */
  flush(): Promise<unknown> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    const rows = this.waiting
    this.waiting = []
    const write = Promise.all(
      rows.map((row) =>
        this.port.settle([], row).catch(() => {
          this.dropped++
        }),
      ),
    )
    this.writing = Promise.all([this.writing, write])
    return this.writing
  }

  close(): Promise<unknown> {
    return this.flush()
  }
}

/** A cache hit's usage row: the call's user, tier and endpoint, the cached answer's model, cost 0. */
export function hitRowOf(call: Call, hit: Outcome): UsageRow {
  return {
    userId: call.userId,
    tier: call.tier ?? '_',
    endpoint: call.endpoint,
    provider: hit.provider ?? '',
    model: hit.model ?? call.request?.model ?? call.pricing?.model ?? call.endpoint,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    costUsd: 0,
    cached: true,
    at: Date.now(),
  }
}
