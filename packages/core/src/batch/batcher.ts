import { abortError } from '../util/sleep'

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
    /** `onLeave`: an item whose signal aborted, and whether its group had gone up by then. */
    private readonly o: { maxSize: number; windowMs: number; onLeave?: (item: I, sent: boolean) => void },
    private readonly flush: (items: I[]) => Promise<PromiseSettledResult<O>[]>,
  ) {}

  /**
   * Adds an item to its group. When `signal` aborts, the item leaves at once with the abort: taken
   * out of its group if the group has not gone up yet, its result dropped if it has.
   */
  add(group: string, item: I, signal?: AbortSignal): Promise<O> {
    if (signal?.aborted) return Promise.reject(abortError(signal))
    let g = this.open.get(group)
    if (!g) {
      const timer = setTimeout(() => this.send(group), this.o.windowMs)
      ;(timer as { unref?: () => void }).unref?.()
      g = { waiting: [], timer }
      this.open.set(group, g)
    }
    const { waiting } = g
    const opened = g
    const result = new Promise<O>((resolve, reject) => {
      const w: Waiting<I, O> = { item, resolve, reject }
      waiting.push(w)
      if (!signal) return
      const onAbort = () => {
        const i = waiting.indexOf(w)
        const sent = !(i !== -1 && this.open.get(group) === opened)
        if (!sent) {
          waiting.splice(i, 1) // not sent yet: it does not go up at all
          if (waiting.length === 0) {
            clearTimeout(opened.timer)
            this.open.delete(group)
          }
        }
        this.o.onLeave?.(item, sent)
        reject(abortError(signal))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      const unhook = () => signal.removeEventListener('abort', onAbort)
      w.resolve = (value) => {
        unhook()
        resolve(value)
      }
      w.reject = (error) => {
        unhook()
        reject(error)
      }
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
