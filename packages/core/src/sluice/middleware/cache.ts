import type { CacheService } from '../../cache/cache-service'
import type { Call, Outcome } from '../../chain/types'
import { isStreamOutcome, named } from '../../chain/types'
import { coalesceStream, type StreamFlight } from '../../stream/coalesce-stream'
import { observeStream } from '../../stream/observe-stream'
import { asStream, keyOf, lookupOf, ttlOf } from './cache-key'

/**
 * Serves a stored answer when there is one — before the budget is consulted: a cached answer
 * costs nothing — and stores fresh answers with the type's TTL. A stream is stored as the
 * completion it spells out once it has ended, and a hit on a stream replays as one.
 */
export function cacheMiddleware(cache: CacheService, onHit?: (call: Call, hit: Outcome) => void) {
  return named('cache', async (call, next) => {
    if (!call.cache.enabled) return next()
    const hit = await lookupOf(cache, call) // started by admission, beside the limit check
    const key = call.steps.cacheKey!
    if (hit !== undefined) {
      call.meta.cached = true
      onHit?.(call, hit)
      return asStream(call, hit)
    }
    const outcome = await next()
    // The coalesce step stores the answer itself (followers elsewhere read it before it returns);
    // an answer the budget cut short (strict mode) is not the answer to the request: not stored.
    if (call.steps.cacheStored || !call.cache.enabled) return outcome
    if (!isStreamOutcome(outcome)) {
      await cache.setByKey(key, outcome, ttlOf(cache, call))
      return outcome
    }
    const store = (ended: Outcome) =>
      ended.value ? cache.setByKey(key, ended, ttlOf(cache, call)) : undefined
    return observeStream(outcome, { onEnd: store }, { assemble: true })
  })
}

/**
 * Identical requests in flight share one upstream call — in this process and across every
 * instance on the store; the leader stores the answer, followers read it.
 */
export function coalesceMiddleware(cache: CacheService) {
  const streams = new Map<string, StreamFlight>()
  return named('coalesce', async (call, next) => {
    if (!call.cache.enabled) return next()
    if (call.stream) return coalesceStream(cache, streams, call, next)
    const { value, shared } = await cache.coalesce(await keyOf(cache, call), next, {
      ttlMs: ttlOf(cache, call),
      ...(call.signal ? { signal: call.signal } : {}),
    })
    call.steps.cacheStored = true
    if (shared) {
      // Followers made no attempts of their own, but their answer came from the leader's provider.
      call.meta.coalesced = true
      call.meta.provider = value.provider ?? null
    }
    return value
  })
}
