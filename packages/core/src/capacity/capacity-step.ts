import { SluiceError } from '../errors/sluice-error'
import type { Attempt, AttemptStep } from '../resilience/attempt-steps'
import { isCapacityRefusal, statusOf } from '../resilience/retryable'
import { type AttemptCapacity, KEEPS_CAPACITY, keepsCapacity } from '../resilience/targets'
import { capacityExceeded } from './capacity-error'
import type { ProviderCapacity } from './provider-capacity'
import type { CapacityGrant, TargetCapacity } from './target-capacity'

const isKeyRefusal = (error: unknown) => statusOf(error) === 401 || statusOf(error) === 403

/** The capacity a try draws on: the target's, or its pool key's with the most room left. */
function pick(capacity: ProviderCapacity, attempt: Attempt<unknown>, model: string, turn: number) {
  const { name, keys } = attempt.target
  if (!keys || keys.length === 0) return capacity.for(name, model)
  const live = keys.map((k) => capacity.for(name, model, k)).filter((t) => !t.revoked)
  if (live.length === 0) {
    throw new SluiceError('provider_error', `${name}: every key of its pool was refused (401/403)`, {
      provider: name,
      status: 401,
    })
  }
  // The most room first; among equals, in turn, so the pool's keys share the load.
  let best: TargetCapacity | undefined
  for (let i = 0; i < live.length; i++) {
    const t = live[(turn + i) % live.length]!
    if (!best || t.room > best.room) best = t
  }
  return best!
}

/**
 * Provider capacity, between the circuit and the send: an attempt takes capacity before it is sent
 * (waiting, in priority order, up to `maxWait`; with `whenFull: 'fallback'` a target that is not
 * the last does not wait), and gives its concurrency slot back when it is over. The response's
 * headers teach the fleet the provider's limits. A 429 is capacity, not failure: the fleet holds
 * off until the provider's reset and the attempt waits for it (within its deadline) and goes
 * again, so the caller sees an answer or `capacity_exceeded`, never the 429. A pool key refused
 * with 401/403 is taken out (`key:revoked`) and the try goes again with another key.
 */
export function capacityStep(capacity: ProviderCapacity): AttemptStep {
  const { maxWait, whenFull } = capacity.settings
  let turn = 0
  return async (attempt, next) => {
    const need = attempt.options.capacity
    const model = attempt.target.model
    if (!need || model === undefined) return next()
    const started = Date.now()
    const deadline = started + (whenFull === 'fallback' && !attempt.last ? 0 : maxWait)
    for (;;) {
      const asked = Date.now()
      const target = pick(capacity, attempt as Attempt<unknown>, model, turn++)
      let grant: CapacityGrant
      try {
        grant = await target.take({
          tokens: need.tokens,
          priority: need.priority,
          ...(need.user !== undefined ? { user: need.user } : {}),
          ...(attempt.options.onCapacityWait ? { onWait: attempt.options.onCapacityWait } : {}),
          deadline,
          ...(attempt.options.signal ? { signal: attempt.options.signal } : {}),
        })
      } catch (error) {
        if (target.revoked) continue // its key was refused while it waited: another key
        throw error
      } finally {
        attempt.stats.capacityWaitMs += Date.now() - asked
      }
      const seen: AttemptCapacity = {
        waitMs: Date.now() - asked,
        ...(target.key !== undefined ? { key: target.key } : {}),
      }
      attempt.sendWith = {
        onHeaders: (headers) => Object.assign(seen, grant.observe(headers)),
        ...(target.key !== undefined ? { key: target.key } : {}),
        capacity: seen,
      }
      try {
        const value = await next()
        // A stream keeps its slot until it ends; anything else is done with it now.
        if (keepsCapacity(value)) value[KEEPS_CAPACITY](() => grant.release(true))
        else grant.release(true)
        return value
      } catch (error) {
        grant.release(false)
        if (target.key !== undefined && isKeyRefusal(error)) {
          target.revoke()
          capacity.events.emit('key:revoked', {
            provider: target.provider,
            key: target.key,
            status: statusOf(error) ?? 401,
          })
          continue
        }
        if (!isCapacityRefusal(error) || SluiceError.is(error, 'capacity_exceeded')) throw error
        const retryAfterMs = SluiceError.is(error) ? error.retryAfterMs : undefined
        target.rejected(retryAfterMs)
        const wait = retryAfterMs ?? 1_000
        if (Date.now() + wait > deadline && !target.key)
          throw capacityExceeded(target.provider, model, wait, Date.now() - started)
      } finally {
        attempt.sendWith = undefined
      }
    }
  }
}
