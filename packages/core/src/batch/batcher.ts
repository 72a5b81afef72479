interface Waiting<I, O> {
  item: I
  resolve: (value: O) => void
  reject: (error: unknown) => void
}

/**
 * Collects items per group key and hands each group to `flush` once it holds `maxSize` items or
 * `windowMs` after its first; each item's promise settles with its own result.
 */
export class Batcher<I, O> {
  private readonly open = new Map<
    string,
    { waiting: Waiting<I, O>[]; timer: ReturnType<typeof setTimeout> }
  >()

  constructor(
    private readonly o: { maxSize: number; windowMs: number },
    private readonly flush: (items: I[]) => Promise<PromiseSettledResult<O>[]>,
  ) {}

  add(group: string, item: I): Promise<O> {
    let g = this.open.get(group)
    if (!g) {
      const timer = setTimeout(() => this.send(group), this.o.windowMs)
      ;(timer as { unref?: () => void }).unref?.()
      g = { waiting: [], timer }
      this.open.set(group, g)
    }
    const { waiting } = g
    const result = new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject })
    })
    if (waiting.length >= this.o.maxSize) this.send(group)
    return result
  }

  private send(group: string): void {
    const g = this.open.get(group)
    if (!g) return
    this.open.delete(group)
    clearTimeout(g.timer)
    this.flush(g.waiting.map((w) => w.item)).then(
      (results) => {
        for (const [i, w] of g.waiting.entries()) {
          const r = results[i]
          if (r?.status === 'fulfilled') w.resolve(r.value)
          else w.reject(r ? r.reason : new Error('batch: no result for this item'))
        }
      },
      (error) => {
        for (const w of g.waiting) w.reject(error)
      },
    )
  }
}
