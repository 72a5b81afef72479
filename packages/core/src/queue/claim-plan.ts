/** At most this many claims travel at once from one worker. */
export const MAX_PARALLEL_CLAIMS = 4

/**
 * The sizes of the claims a worker sends at once for `free` slots. One claim, unless the last
 * ones all came back full (a backlog): then up to MAX_PARALLEL_CLAIMS, so the worker does not
 * wait for one claim's round trip before the next. A batch handler's claim fills one slot with up
 * to `batchSize` jobs; a per-job handler's claims share the free slots, `batchSize` jobs at most each.
 */
export function claimSizes(free: number, batchSize: number, batch: boolean, backlog: boolean): number[] {
  const most = backlog ? MAX_PARALLEL_CLAIMS : 1
  const sizes: number[] = []
  for (let left = free; left > 0 && sizes.length < most; ) {
    const size = batch ? batchSize : Math.min(left, batchSize)
    sizes.push(size)
    left -= batch ? 1 : size
  }
  return sizes
}
