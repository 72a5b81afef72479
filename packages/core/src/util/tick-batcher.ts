/**
 * Runs `fn` once the work now under way has settled down: on Node after every promise reaction
 * queued so far (a tick), elsewhere after the current microtask.
 */
const afterTick: (fn: () => void) => void =
  typeof process !== 'undefined' && typeof process.nextTick === 'function'
    ? (fn) => process.nextTick(fn)
    : (fn) => queueMicrotask(fn)

export interface TickBatcherOptions {
  /** Items per batch at most. */
  maxBatch: number
  /** Batches travelling at once; what is asked for meanwhile waits and goes as the next. */
  inFlight: number
}

/**
 * Items travel together: what is asked for in one tick goes as one batch, and while `inFlight`
 * batches travel, what is asked for meanwhile waits and goes as the next (each item still
 * answered on its own, by its place in the batch). Nothing waits for a timer: a lone item goes
 * at the end of its tick, and batches grow only with the load.
 */
export function tickBatcher<I, O>(run: (batch: I[]) => Promise<O[]>, options: TickBatcherOptions) {
  const waiting: { item: I; resolve: (out: O) => void; reject: (e: unknown) => void }[] = []
  let inFlight = 0
  let planned = false
  const flush = () => {
    planned = false
    while (inFlight < options.inFlight && waiting.length > 0) {
      const batch = waiting.splice(0, options.maxBatch)
      inFlight++
      let sent: Promise<O[]>
      try {
        sent = run(batch.map((w) => w.item))
      } catch (error) {
        sent = Promise.reject(error)
      }
      sent
        .then(
          (outs) => {
            for (const [i, w] of batch.entries()) w.resolve(outs[i]!)
          },
          (error) => {
            for (const w of batch) w.reject(error)
          },
        )
        .finally(() => {
          inFlight--
          flush()
        })
    }
  }
  return (item: I) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject })
      if (planned || inFlight >= options.inFlight) return
      planned = true
      afterTick(flush)
    })
}
