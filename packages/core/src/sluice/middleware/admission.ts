import type { CacheService } from '../../cache/cache-service'
import type { Call } from '../../chain/types'
import { named } from '../../chain/types'
import { SluiceError } from '../../errors/sluice-error'
import type { Overrides } from '../../overrides/overrides'
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
  const rule = call.steps.overrides?.user?.limits?.[call.endpoint]
  const decision = await limiter.limit({
    userId: call.userId,
    endpoint: call.endpoint,
    tier: call.tier,
    tokens,
    ...(rule ? { rule } : {}),
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
export function admissionMiddleware(
  limiter: RateLimiter,
  defaultMaxTokens: number,
  cache?: CacheService,
  overrides?: Overrides,
) {
  return named('admission', async (call, next) => {
    if (overrides) await applyOverrides(overrides, call)
    if (cache && call.cache.enabled) lookupOf(cache, call) // its rejection is handled where it is made
    await checkRateLimit(limiter, call, defaultMaxTokens)
    return next()
  })
}

/** The user's and group's run-time overrides: a block refuses, a tier replaces the call's. */
async function applyOverrides(overrides: Overrides, call: Call): Promise<void> {
  const [user, group] = await Promise.all([
    overrides.forCall({ userId: call.userId }),
    call.group === undefined ? undefined : overrides.forCall({ group: call.group }),
  ])
  if (!user && !group) return
  call.steps.overrides = { ...(user ? { user } : {}), ...(group ? { group } : {}) }
  const blocked = user?.blocked ? user : group?.blocked ? group : undefined
  if (blocked) {
    const who = blocked === user ? 'user' : 'group'
    const why = blocked.reason ? `: ${blocked.reason}` : ''
    throw new SluiceError('forbidden', `this ${who} is blocked${why}`, { details: { override: who } })
  }
  if (user?.tier !== undefined) call.tier = user.tier
}
