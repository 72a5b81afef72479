import type { MetricsBatch, MetricsPort } from '../store/metrics-port'

const MAX_MEMBERS = 50_000

/**
 * Metric writes off the response path: increments and set members gather in this process and go
 * to the store in one call per flush — every `flushMs` (timer unref'd) and on `flush()` /
 * `close()`. A flush that fails is dropped and counted in `dropped`, never retried into a
 * backlog and never an unhandled rejection.
 */
export class MetricsBuffer {
  private counters = new Map<string, { by: number; ttlMs: number }>()
  private sets = new Map<string, { members: Set<string>; ttlMs: number }>()
  private members = 0
  private timer: ReturnType<typeof setInterval> | undefined
  private writing: Promise<void> = Promise.resolve()
  /** Increments (and set members) lost to failed flushes or a full buffer. */
  dropped = 0

  constructor(
    private readonly port: MetricsPort,
    private readonly flushMs = 1_000,
  ) {}

  count(name: string, by: number, ttlMs: number): void {
    const c = this.counters.get(name)
    if (c) c.by += by
    else this.counters.set(name, { by, ttlMs })
    this.start()
  }

  add(name: string, member: string, ttlMs: number): void {
    let s = this.sets.get(name)
    if (!s) {
      s = { members: new Set(), ttlMs }
      this.sets.set(name, s)
    }
    if (s.members.has(member)) return
    if (this.members >= MAX_MEMBERS) {
      this.dropped++
      return
    }
    s.members.add(member)
    this.members++
    this.start()
  }

  /** Writes what has gathered; resolves when it is in the store (or dropped). */
  flush(): Promise<void> {
    const batch: MetricsBatch = {
      counters: [...this.counters].map(([name, c]) => ({ name, ...c })),
      sets: [...this.sets].map(([name, s]) => ({ name, members: [...s.members], ttlMs: s.ttlMs })),
    }
    this.counters = new Map()
    this.sets = new Map()
    this.members = 0
    if (batch.counters.length === 0 && batch.sets.length === 0) return this.writing
    const lost =
      batch.counters.reduce((n, c) => n + c.by, 0) + batch.sets.reduce((n, s) => n + s.members.length, 0)
    // One write at a time, in order; each waits for the one before.
    this.writing = this.writing.then(() =>
      this.port.write(batch).catch(() => {
        this.dropped += lost
      }),
    )
    return this.writing
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    await this.flush()
  }

  private start(): void {
    if (this.timer) return
    this.timer = setInterval(() => void this.flush(), this.flushMs)
    this.timer.unref?.()
  }
}
