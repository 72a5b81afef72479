import type { CacheService } from '../../cache/cache-service'
import type { Call, Outcome } from '../../chain/types'
import type { ChatCompletion } from '../../providers/types'
import { replayChunks } from '../../stream/stream-chunks'

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

/** A stored answer handed to a stream call: replayed as a stream. */
export function asStream(call: Call, outcome: Outcome): Outcome {
  return call.stream ? { ...outcome, stream: replayChunks(outcome.value as ChatCompletion) } : outcome
}

export const ttlOf = (cache: CacheService, call: Call) => call.cache.ttlMs ?? cache.ttlFor(call.cache.type)

/** The call's cache key, hashed once and kept in `call.steps` for the cache and coalesce steps. */
export async function keyOf(cache: CacheService, call: Call): Promise<string> {
  call.steps.cacheKey ??= await cache.key(call.cache.type, cacheInput(call), cacheOptions(call))
  return call.steps.cacheKey
}

/**
 * The call's cache lookup, started once: admission starts it beside the rate-limit check (one
 * round trip on a shared store) and the cache step awaits it.
 */
export function lookupOf(cache: CacheService, call: Call): Promise<Outcome | undefined> {
  if (call.steps.cacheLookup) return call.steps.cacheLookup
  const lookup = keyOf(cache, call).then((key) => cache.getByKey<Outcome>(key))
  lookup.catch(() => {}) // awaited by the cache step; a rate-limit refusal may leave it unread
  call.steps.cacheLookup = lookup
  return lookup
}
