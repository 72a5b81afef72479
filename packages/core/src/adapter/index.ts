// @sluice/core/adapter — what a store adapter's author needs: the ports, the arithmetic every
// backend shares, the store guard and the key rules. The main export is the app's API.
export { SluiceError } from '../errors/sluice-error'
export type * from '../store/breaker-port'
export type * from '../store/cache-port'
export { claimScore, claimsBefore, isClaimable, withTurn } from '../store/claim-order'
export { addToDay, copyDay, emptyDayTotals, rollupLineOf, utcDay } from '../store/day-totals'
export { finishListeners, isFinalStatus } from '../store/finish-listeners'
export type * from '../store/metrics-port'
export { duplicateJob, queueFull } from '../store/queue-errors'
export type * from '../store/queue-port'
export { type LimitState, step as rateLimitStep } from '../store/rate-limit-math'
export type * from '../store/rate-limit-port'
export { ServerClock } from '../store/server-clock'
export { batchedSettles, type Settle } from '../store/settle-batcher'
export type * from '../store/store'
export {
  DEFAULT_STORE_TIMEOUT_MS,
  guardStore,
  STORE_CALLS,
  type StoreCallsOf,
  type StoreGuardOptions,
} from '../store/store-guard'
export { takenJob } from '../store/taken-job'
export { fitsBudget, USD_EPSILON } from '../store/usage-math'
export type * from '../store/usage-port'
export { type Duration, durationOrOff, parseDuration } from '../util/duration'
export { type JoinedSignal, joinSignals } from '../util/join-signals'
export { keyOf } from '../util/keys'
export { type TickBatcherOptions, tickBatcher } from '../util/tick-batcher'
export { untilAborted } from '../util/until-aborted'
