import { z } from 'zod'
import { limitsSchema, type Rule, ruleSchema, tiersSchema } from '../config/limits-schema'
import { parseOptions } from '../config/parse-options'
import { SluiceError, storeFailed } from '../errors/sluice-error'
import { defaultStore } from '../store/default-store'
import type { RateLimitDecision, RateLimitItem, RateLimitPort, RateLimitRule } from '../store/rate-limit-port'
import type { Store } from '../store/store'
import { guardStore } from '../store/store-guard'
import { checkId, keyOf, slotted } from '../util/keys'

const DAY_MS = 86_400_000

export const rateLimiterSchema = z.object({
  store: z.custom<Store>((v) => typeof v === 'object' && v !== null).optional(),
  /** Limits per endpoint for every tier (a tier's own `limits` override these). */
  limits: limitsSchema.prefault({}),
  /** Limit for endpoints named nowhere; none when omitted. */
  defaultLimit: ruleSchema.optional(),
  tiers: tiersSchema.prefault({}),
  /** Key namespace. */
  prefix: z.string().min(1).default('sluice'),
  /** When the store fails: `open` admits through an in-process limiter, `closed` throws store_unavailable. */
  onStoreError: z.enum(['open', 'closed']).default('open'),
})

export type RateLimiterOptions = z.input<typeof rateLimiterSchema>

export interface LimitRequest {
  userId: string
  endpoint: string
  tier?: string
  /** Units this call uses: 1 by default; for token rules, pass `tokens`. */
  cost?: number
  tokens?: number
  /** The endpoint rule for this user in place of their tier's (a run-time override). */
  rule?: Rule
}

export interface LimitResult extends RateLimitDecision {
  /** Which rule decided: `endpoint`, `daily`, or `none` (unlimited / no rule). */
  scope: 'endpoint' | 'daily' | 'none'
}

const UNLIMITED: LimitResult = Object.freeze({
  allowed: true,
  limit: Number.POSITIVE_INFINITY,
  remaining: Number.POSITIVE_INFINITY,
  resetAt: 0,
  retryAfterMs: 0,
  scope: 'none',
})

/**
 * Per user × endpoint × tier limits, plus a daily total. `limit()` never throws for a denial: it
 * returns `allowed: false` with `retryAfterMs`. Denied calls consume nothing.
 */
export class RateLimiter {
  private readonly o: z.output<typeof rateLimiterSchema>
  private readonly port: RateLimitPort
  private readonly insurance: RateLimitPort

  constructor(options: RateLimiterOptions = {}) {
    this.o = parseOptions(rateLimiterSchema, options, 'rateLimiter')
    this.insurance = defaultStore({ maxKeys: 10_000 }).rateLimit
    this.port = (this.o.store && guardStore(this.o.store).rateLimit) || this.insurance
    this.rlPrefix = keyOf(this.o.prefix, 'rl')
    this.dailyPrefix = keyOf(this.o.prefix, 'daily')
    this.hasTiers = Object.keys(this.o.tiers).length > 0
  }

  private readonly hasTiers: boolean
  private readonly rlPrefix: string
  private readonly dailyPrefix: string

  /**
   * The endpoint rule that applies to a tier, or undefined: the tier's rule for the endpoint, the
   * top level's, then the tier's `defaultLimit`, then the top level's.
   */
  ruleFor(endpoint: string, tier?: string): Rule | undefined {
    const t = tier === undefined ? undefined : this.o.tiers[tier]
    return t?.limits[endpoint] ?? this.o.limits[endpoint] ?? t?.defaultLimit ?? this.o.defaultLimit
  }

  async limit(request: LimitRequest): Promise<LimitResult> {
    const userId = checkId(request.userId, 'userId')
    const endpoint = checkId(request.endpoint, 'endpoint')
    const tierName = request.tier === undefined ? undefined : checkId(request.tier, 'tier')
    if (tierName !== undefined && this.hasTiers && !(tierName in this.o.tiers)) {
      throw new SluiceError('invalid_request', `tier: unknown tier '${tierName}'`, { path: 'tier' })
    }
    const tier = tierName === undefined ? undefined : this.o.tiers[tierName]
    if (tier?.unlimited) return UNLIMITED

    const rule = request.rule ?? this.ruleFor(endpoint, tierName)
    const cost = rule?.unit === 'tokens' ? (request.tokens ?? request.cost ?? 1) : (request.cost ?? 1)
    if (!Number.isFinite(cost) || cost <= 0) {
      throw new SluiceError('invalid_request', 'cost: expected a positive number', { path: 'cost' })
    }
    if (rule && cost > rule.limit) {
      throw new SluiceError(
        'invalid_request',
        `cost: ${cost} is more than the limit ${rule.limit} and can never pass`,
        {
          path: 'cost',
        },
      )
    }
    const scope = tierName ?? '_'
    // The common case, one endpoint rule and no daily total: one counter, no arrays.
    if (rule && tier?.dailyTotal === undefined) {
      return withScope(
        await this.consumeOne(this.endpointKey(scope, endpoint, userId), cost, rule),
        'endpoint',
      )
    }
    const items: RateLimitItem[] = []
    const scopes: LimitResult['scope'][] = []
    if (tier?.dailyTotal !== undefined) {
      items.push({ key: this.dailyKey(scope, userId), cost: 1, rule: dailyRule(tier.dailyTotal) })
      scopes.push('daily')
    }
    if (rule) {
      items.push({ key: this.endpointKey(scope, endpoint, userId), cost, rule })
      scopes.push('endpoint')
    }
    if (items.length === 0) return UNLIMITED
    // The daily total and the endpoint limit are decided together: both count, or neither does.
    const decisions = await this.consume(items)
    const denied = decisions.findIndex((d) => !d.allowed)
    if (denied !== -1) return withScope(decisions[denied]!, scopes[denied]!)
    // Report whichever limit is closer to running out.
    let closest = 0
    for (let i = 1; i < decisions.length; i++)
      if (decisions[i]!.remaining < decisions[closest]!.remaining) closest = i
    return withScope(decisions[closest]!, scopes[closest]!)
  }

  /** Clears a user's counters for one endpoint (and the daily total when `endpoint` is omitted). */
  async reset(userId: string, endpoint?: string, tier?: string): Promise<void> {
    checkId(userId, 'userId')
    if (endpoint !== undefined) checkId(endpoint, 'endpoint')
    const scope = tier === undefined ? '_' : checkId(tier, 'tier')
    if (endpoint === undefined) await this.port.reset(this.dailyKey(scope, userId))
    else await this.port.reset(this.endpointKey(scope, endpoint, userId))
  }

  // A user's counters share one slot (`{user}`), so a sharded store decides them in one operation.
  private dailyKey(scope: string, userId: string): string {
    return slotted(this.scopeKeys(scope).daily, userId)
  }

  // Per scope (tier): its daily key base and its endpoints' key bases, found by the strings the
  // call came with (no key is built to look them up); bounded by forgetting them all past 1,000
  // (an app has a handful of tiers and endpoints).
  private readonly bases = new Map<string, { daily: string; endpoints: Map<string, string> }>()
  private baseCount = 0

  private scopeKeys(scope: string) {
    let keys = this.bases.get(scope)
    if (!keys) {
      this.makeRoom()
      keys = { daily: `${this.dailyPrefix}:${keyOf(scope)}`, endpoints: new Map() }
      this.bases.set(scope, keys)
    }
    return keys
  }

  private makeRoom(): void {
    if (++this.baseCount <= 1_000) return
    this.bases.clear()
    this.baseCount = 1
  }

  private endpointKey(scope: string, endpoint: string, userId: string): string {
    let base = this.scopeKeys(scope).endpoints.get(endpoint)
    if (base === undefined) {
      this.makeRoom()
      base = `${this.rlPrefix}:${keyOf(scope, endpoint)}`
      this.scopeKeys(scope).endpoints.set(endpoint, base) // its scope's entry again: room may have been made
    }
    return slotted(base, userId)
  }

  private consumeOne(key: string, cost: number, rule: RateLimitRule): Promise<RateLimitDecision> {
    return this.port.consume(key, cost, rule).catch((cause) => {
      if (this.o.onStoreError === 'closed' || this.port === this.insurance) {
        throw storeFailed('rate-limit store failed', cause)
      }
      return this.insurance.consume(key, cost, rule).catch(() => admitted(rule))
    })
  }

  // Rules from the schema carry an extra `unit` field; ports ignore it, so they are passed as they are.
  private async consume(items: RateLimitItem[]): Promise<RateLimitDecision[]> {
    try {
      return await this.port.consumeAll(items)
    } catch (cause) {
      if (this.o.onStoreError === 'closed' || this.port === this.insurance) {
        throw storeFailed('rate-limit store failed', cause)
      }
      // Open: the in-process limiter stands in; if even it has no room, the call is admitted.
      return this.insurance.consumeAll(items).catch(() => items.map((i) => admitted(i.rule)))
    }
  }
}

const dailyRule = (limit: number): RateLimitRule => ({ algorithm: 'fixed-window', limit, windowMs: DAY_MS })

/** A decision that admits the call without counting it (the `open` policy's last resort). */
function admitted(rule: RateLimitRule): RateLimitDecision {
  return { allowed: true, limit: rule.limit, remaining: rule.limit, resetAt: 0, retryAfterMs: 0 }
}

/** The port's decision plus which rule decided, as one object of a fixed shape. */
function withScope(d: RateLimitDecision, scope: LimitResult['scope']): LimitResult {
  return {
    allowed: d.allowed,
    limit: d.limit,
    remaining: d.remaining,
    resetAt: d.resetAt,
    retryAfterMs: d.retryAfterMs,
    scope,
  }
}
