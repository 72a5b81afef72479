import type { CacheService } from '../../cache/cache-service'
import type { Call, Outcome } from '../../chain/types'
import { named } from '../../chain/types'

/**
 * What identifies an answer: the chat request (CacheService drops its transport fields) or the
 * wrapped call's input, under the call's cache type — the same key `cache.invalidate({ type,
 * input })` computes.
 */
export function cacheInput(call: Call): unknown {
  return call.request ?? call.input
}

function cacheOptions(call: Call) {
  return {
    userId: call.userId,
    ...(call.cache.scope ? { scope: call.cache.scope } : {}),
    ...(call.cache.ttlMs !== undefined ? { ttlMs: call.cache.ttlMs } : {}),
  }
}

/** The call's cache key, hashed once and kept in `call.state` for the cache and coalesce steps. */
async function keyOf(cache: CacheService, call: Call): Promise<string> {
  call.state.cacheKey ??= await cache.key(call.cache.type, cacheInput(call), cacheOptions(call))
  return call.state.cacheKey as string
}

/**
 * Starts the call's cache lookup without waiting for it, so the rate-limit check and the lookup
 * travel together (one round trip on a shared store). The cache step awaits what it started.
 */
export function startCacheLookup(cache: CacheService, call: Call): void {
  if (!call.cache.enabled || call.state.cacheLookup) return
  const lookup = keyOf(cache, call).then((key) => cache.getByKey<Outcome>(key))
  lookup.catch(() => {}) // awaited by the cache step; a rate-limit refusal may leave it unread
  call.state.cacheLookup = lookup
}

/**
 * Serves a stored answer when there is one — before the budget is consulted: a cached answer
 * costs nothing — and stores fresh answers with the type's TTL.
 */
export function cacheMiddleware(cache: CacheService) {
  return named('cache', async (call, next) => {
    if (!call.cache.enabled) return next()
    startCacheLookup(cache, call)
    const hit = await (call.state.cacheLookup as Promise<Outcome | undefined>)
    const key = call.state.cacheKey as string
    if (hit !== undefined) {
      call.meta.cached = true
      return hit
    }
    const outcome = await next()
    // The coalesce step stores the answer itself (followers elsewhere read it before it returns).
    if (!call.state.cacheStored)
      await cache.setByKey(key, outcome, call.cache.ttlMs ?? cache.ttlFor(call.cache.type))
    return outcome
  })
}

/**
 * Identical requests in flight share one upstream call — in this process and across every
 * instance on the store; the leader stores the answer, followers read it.
 */
export function coalesceMiddleware(cache: CacheService) {
  return named('coalesce', async (call, next) => {
    if (!call.cache.enabled) return next()
    const { value, shared } = await cache.coalesce(await keyOf(cache, call), next, {
      ttlMs: call.cache.ttlMs ?? cache.ttlFor(call.cache.type),
      ...(call.signal ? { signal: call.signal } : {}),
    })
    call.state.cacheStored = true
    if (shared) {
      // Followers made no attempts of their own, but their answer came from the leader's provider.
      call.meta.coalesced = true
      call.meta.provider = value.provider ?? null
    }
    return value
  })
}
