import type { CacheService } from '../../cache/cache-service'
import type { Call } from '../../chain/types'
import { named } from '../../chain/types'
import { SluiceError } from '../../errors/sluice-error'
import type { RateLimiter } from '../../rate-limit/rate-limiter'
import { lookupOf } from './cache-key'
import { promptTokensOf } from './estimates'

/** Checks the user's limits; a denial becomes `rate_limited` with Retry-After facts. */
export async function checkRateLimit(
  limiter: RateLimiter,
  call: Call,
  defaultMaxTokens: number,
): Promise<void> {
  // Tokens are estimated only for a token rule (TPM-style); request rules count calls.
  const byTokens = call.request && limiter.ruleFor(call.endpoint, call.tier)?.unit === 'tokens'
  const tokens = byTokens ? promptTokensOf(call) + (call.request!.max_tokens ?? defaultMaxTokens) : undefined
  const decision = await limiter.limit({
    userId: call.userId,
    endpoint: call.endpoint,
    tier: call.tier,
    tokens,
  })
  if (decision.allowed) return
  const what = decision.scope === 'daily' ? 'daily total' : `limit for '${call.endpoint}'`
  throw new SluiceError(
    'rate_limited',
    `rate limited: ${what} reached; retry in ${Math.ceil(decision.retryAfterMs / 1000)}s`,
    {
      retryAfterMs: decision.retryAfterMs,
      details: {
        limit: decision.limit,
        remaining: decision.remaining,
        resetAt: decision.resetAt,
        scope: decision.scope,
      },
    },
  )
}

/**
 * Admission: the user's limits are checked while the call's cache lookup is already on its way
 * (both in one round trip on a shared store); a denial is `rate_limited`, and the cache step
 * awaits the lookup started here.
 */
export function admissionMiddleware(limiter: RateLimiter, defaultMaxTokens: number, cache?: CacheService) {
  return named('admission', async (call, next) => {
    if (cache && call.cache.enabled) lookupOf(cache, call) // its rejection is handled where it is made
    await checkRateLimit(limiter, call, defaultMaxTokens)
    return next()
  })
}
