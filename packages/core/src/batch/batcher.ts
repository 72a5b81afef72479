/**
 * Collects items per group key and hands each group to `flush` once it holds `maxSize` items or
 * `windowMs` after its first; each item's promise settles with its own result.
 */
export class Batcher<I, O> {
  private readonly open = new Map<
    string,
    { items: I[]; done: Deferred<O>[]; timer: ReturnType<typeof setTimeout> }
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
      g = { items: [], done: [], timer }
      this.open.set(group, g)
    }
    const d = deferred<O>()
    g.items.push(item)
    g.done.push(d)
    if (g.items.length >= this.o.maxSize) this.send(group)
    return d.promise
  }

  private send(group: string): void {
    const g = this.open.get(group)
    if (!g) return
    this.open.delete(group)
    clearTimeout(g.timer)
    this.flush(g.items).then(
      (results) => {
        for (const [i, d] of g.done.entries()) {
          const r = results[i]
          if (r?.status === 'fulfilled') d.resolve(r.value)
          else d.reject(r ? r.reason : new Error('batch: no result for this item'))
        }
      },
      (error) => {
        for (const d of g.done) d.reject(error)
      },
    )
  }
}

interface Deferred<T> {
  promise: Promise<T>
  resolve: (v: T) => void
  reject: (e: unknown) => void
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
