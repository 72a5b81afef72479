import { tickBatcher } from '../util/tick-batcher'
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

/**
 * Settles travel together: the settles asked for in one tick (the jobs of a claim that end
 * together) go as one batch, and while two batches are in flight, the settles asked for meanwhile
 * wait and go as the next, one statement and one commit for all (each still answered on its
 * own). Nothing waits for a timer.
 */
export function settleBatcher(run: (batch: Settle[]) => Promise<boolean[]>) {
  return tickBatcher<Settle, boolean>(
    async (batch) => {
      const oks = await run(batch)
      return batch.map((_, i) => oks[i] === true)
    },
    { maxBatch: 500, inFlight: 2 },
  )
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
