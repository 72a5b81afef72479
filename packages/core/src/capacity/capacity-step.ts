import { SluiceError } from '../errors/sluice-error'
import type { AttemptStep } from '../resilience/attempt-steps'
import { isCapacityRefusal } from '../resilience/retryable'
import { capacityExceeded } from './capacity-error'
import type { ProviderCapacity } from './provider-capacity'

/**
 * Provider capacity, between retry and the circuit: an attempt takes capacity before it is sent
 * (waiting, in priority order, up to `maxWait`; with `whenFull: 'fallback'` a target that is not
 * the last does not wait), and gives its concurrency slot back when it is over. The response's
 * headers teach the fleet the provider's limits. A 429 is capacity, not failure: the fleet holds
 * off until the provider's reset and the attempt waits for it (within its deadline) and goes
 * again, so the caller sees an answer or `capacity_exceeded`, never the 429.
 */
export function capacityStep(capacity: ProviderCapacity): AttemptStep {
  const { maxWait, whenFull } = capacity.settings
  return async (attempt, next) => {
    const need = attempt.options.capacity
    const model = attempt.target.model
    if (!need || model === undefined) return next()
    const target = capacity.for(attempt.target.name, model)
    const started = Date.now()
    const deadline = started + (whenFull === 'fallback' && !attempt.last ? 0 : maxWait)
    for (;;) {
      const grant = await target.take({
        tokens: need.tokens,
        priority: need.priority,
        deadline,
        ...(attempt.options.signal ? { signal: attempt.options.signal } : {}),
      })
      attempt.onHeaders = (headers) => grant.observe(headers)
      try {
        const value = await next()
        grant.release(true)
        return value
      } catch (error) {
        grant.release(false)
        if (!isCapacityRefusal(error) || SluiceError.is(error, 'capacity_exceeded')) throw error
        const retryAfterMs = SluiceError.is(error) ? error.retryAfterMs : undefined
        target.rejected(retryAfterMs)
        const wait = retryAfterMs ?? 1_000
        if (Date.now() + wait > deadline)
          throw capacityExceeded(target.provider, model, wait, Date.now() - started)
      } finally {
        attempt.onHeaders = undefined
      }
    }
  }
}
