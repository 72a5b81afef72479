import type { QueuePort } from './queue-port'

/** One settle (complete, fail or retry) a worker asked for. */
export interface Settle {
  id: string
  token: string
  outcome: 'completed' | 'failed' | 'retry'
  text: string
  /** A retry's backoff, counted by the store's clock (0 otherwise). */
  retryInMs: number
}

const MAX_BATCH = 500
const IN_FLIGHT = 2

/**
 * Runs `fn` once the work now under way has settled down: on Node after every promise reaction
 * queued so far (a tick), elsewhere after the current microtask.
 */
const afterTick: (fn: () => void) => void =
  typeof process !== 'undefined' && typeof process.nextTick === 'function'
    ? (fn) => process.nextTick(fn)
    : (fn) => queueMicrotask(fn)

/**
 * Settles travel together: the settles asked for in one tick (the jobs of a claim that end
 * together) go as one batch, and while batches are in flight, the settles asked for meanwhile
 * wait and go as the next, one statement and one commit for all (each still answered on its
 * own). Nothing waits for a timer.
 */
export function settleBatcher(run: (batch: Settle[]) => Promise<boolean[]>) {
  const waiting: { settle: Settle; resolve: (ok: boolean) => void; reject: (e: unknown) => void }[] = []
  let inFlight = 0
  let planned = false
  const flush = () => {
    planned = false
    while (inFlight < IN_FLIGHT && waiting.length > 0) {
      const batch = waiting.splice(0, MAX_BATCH)
      inFlight++
      run(batch.map((w) => w.settle))
        .then(
          (oks) => {
            for (const [i, w] of batch.entries()) w.resolve(oks[i] === true)
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
  return (settle: Settle) =>
    new Promise<boolean>((resolve, reject) => {
      waiting.push({ settle, resolve, reject })
      if (planned || inFlight >= IN_FLIGHT) return
      planned = true
      afterTick(flush)
    })
}

/** A queue port's `complete` and `fail`, both through one batcher running `run`. */
export function batchedSettles(
  run: (batch: Settle[]) => Promise<boolean[]>,
): Pick<QueuePort, 'complete' | 'fail'> {
  const settle = settleBatcher(run)
  return {
    complete: (id, token, result) => settle({ id, token, outcome: 'completed', text: result, retryInMs: 0 }),
    fail: (id, token, error, retryInMs) =>
      settle({
        id,
        token,
        outcome: retryInMs === undefined ? 'failed' : 'retry',
        text: error,
        retryInMs: retryInMs ?? 0,
      }),
  }
}
