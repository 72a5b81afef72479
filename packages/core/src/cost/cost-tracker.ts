import { z } from 'zod'
import { tiersSchema } from '../config/limits-schema'
import { parseOptions } from '../config/parse-options'
import { SluiceError } from '../errors/sluice-error'
import { memoryStore } from '../memory/memory-store'
import type { Usage } from '../providers/types'
import type { Store } from '../store/store'
import type { BudgetLimit, UsagePort, UsageRow } from '../store/usage-port'
import { Emitter } from '../util/emitter'
import { randomId } from '../util/hash'
import { checkId, keyOf } from '../util/keys'
import { costOf } from './estimate'
import { DEFAULT_PRICES, type ModelPrice } from './prices'

const DAY_MS = 86_400_000
const KEEP_MS = 40 * DAY_MS

const priceSchema = z.object({
  input: z.number().nonnegative(),
  cachedInput: z.number().nonnegative().optional(),
  output: z.number().nonnegative(),
})

const schema = z.object({
  store: z.custom<Store>((v) => typeof v === 'object' && v !== null).optional(),
  tiers: tiersSchema.default({}),
  /** Extra or changed prices (USD per million tokens), merged over the built-in table. */
  prices: z.record(z.string().min(1), priceSchema).default({}),
  /** Budget ratios that fire `budget:threshold` when a user's spend crosses them. */
  thresholds: z.array(z.number().positive().max(1)).default([0.8, 1]),
  /** When the store fails: `closed` (default) refuses the call, `open` lets it through unbudgeted. */
  onStoreError: z.enum(['open', 'closed']).default('closed'),
  prefix: z.string().min(1).default('sluice'),
  now: z.custom<() => number>((v) => typeof v === 'function').default(() => Date.now),
})

export type CostTrackerOptions = z.input<typeof schema>
export type Period = 'day' | 'month'

export interface Reservation {
  id: string
  userId: string
  tier: string
  amountUsd: number
  limits: BudgetLimit[]
}

export interface SettleInput {
  model: string
  usage?: Usage
  provider?: string
  endpoint?: string
  cached?: boolean
}

export interface ThresholdEvent {
  userId: string
  tier: string
  period: Period
  ratio: number
  spentUsd: number
  limitUsd: number
}

export interface CostReport {
  since: number
  totalUsd: number
  requests: number
  cachedRequests: number
  tokens: number
  byTier: Record<string, number>
  byModel: Record<string, number>
  byUser: Record<string, number>
}

/**
 * Spend per user per UTC day and month with reserve-then-settle: a call reserves its worst-case
 * cost first, so 200 concurrent calls cannot overspend a budget by more than one call's estimate.
 */
export class CostTracker {
  readonly events = new Emitter<{ 'budget:threshold': ThresholdEvent }>()
  private readonly o: z.output<typeof schema>
  private readonly port: UsagePort
  private readonly prices: Record<string, ModelPrice>

  constructor(options: CostTrackerOptions = {}) {
    this.o = parseOptions(schema, options, 'budget')
    this.port = this.o.store?.usage ?? memoryStore().usage
    this.prices = { ...DEFAULT_PRICES.models, ...this.o.prices }
    this.keyPrefix = keyOf(this.o.prefix, 'spend')
  }

  private readonly keyPrefix: string

  priceOf(model: string): ModelPrice | undefined {
    return this.prices[model]
  }

  costOf(model: string, usage: Usage): number {
    const price = this.prices[model]
    return price ? costOf(price, usage) : 0
  }

  /** Reserves `amountUsd` against the user's daily and monthly budgets, or throws budget_exceeded. */
  async reserve(userId: string, tier: string | undefined, amountUsd: number): Promise<Reservation> {
    checkId(userId, 'userId')
    if (!Number.isFinite(amountUsd) || amountUsd < 0) {
      throw new SluiceError('invalid_request', 'amountUsd: expected a finite number ≥ 0', {
        path: 'amountUsd',
      })
    }
    const tierName = tier ?? '_'
    const limits = this.limitsFor(userId, tierName)
    const reservation = { id: randomId(), userId, tier: tierName, amountUsd, limits }
    let result: Awaited<ReturnType<UsagePort['reserve']>>
    try {
      result = await this.port.reserve(amountUsd, limits)
    } catch (cause) {
      if (this.o.onStoreError === 'open') return { ...reservation, amountUsd: 0, limits: [] }
      throw new SluiceError(
        'store_unavailable',
        'budget store failed; refusing the call (budgets fail closed)',
        {
          cause,
          retryable: true,
        },
      )
    }
    if (!result.ok) {
      const denied = limits.find((l) => l.key === result.deniedBy)!
      const period: Period = denied === limits[0] ? 'day' : 'month'
      throw new SluiceError(
        'budget_exceeded',
        `budget: the ${period}ly budget of $${denied.limitUsd} is spent`,
        {
          retryAfterMs: this.untilNext(period),
          details: { period, limitUsd: denied.limitUsd, spentUsd: result.totals[denied.key] ?? 0 },
        },
      )
    }
    this.checkThresholds(reservation, result.totals)
    return reservation
  }

  /** Replaces the reservation by the real cost and records a usage row. Returns the cost. */
  async settle(reservation: Reservation, input: SettleInput): Promise<number> {
    const cost = input.cached || !input.usage ? 0 : this.costOf(input.model, input.usage)
    const delta = cost - reservation.amountUsd
    if (delta !== 0 && reservation.limits.length > 0) await this.port.adjust(delta, reservation.limits)
    await this.record(reservation.userId, reservation.tier, input, cost)
    return cost
  }

  /** Gives a reservation back (the call failed before it cost anything). */
  async release(reservation: Reservation): Promise<void> {
    if (reservation.amountUsd > 0 && reservation.limits.length > 0) {
      await this.port.adjust(-reservation.amountUsd, reservation.limits)
    }
  }

  /** Records a usage row without a reservation; adds its cost to the user's spend. */
  async record(userId: string, tier: string, input: SettleInput, cost?: number): Promise<number> {
    const usd = cost ?? (input.cached || !input.usage ? 0 : this.costOf(input.model, input.usage))
    if (cost === undefined && usd > 0) await this.port.adjust(usd, this.limitsFor(userId, tier))
    const row: UsageRow = {
      userId,
      tier,
      endpoint: input.endpoint ?? 'default',
      provider: input.provider ?? '',
      model: input.model,
      promptTokens: input.usage?.prompt_tokens ?? 0,
      completionTokens: input.usage?.completion_tokens ?? 0,
      cachedTokens: input.usage?.prompt_cache_hit_tokens ?? 0,
      costUsd: usd,
      cached: input.cached ?? false,
      at: this.o.now(),
    }
    await this.port.record(row)
    return usd
  }

  /** USD spent (and reserved by calls in flight) by a user in the current UTC day or month. */
  async spend(userId: string, period: Period = 'day'): Promise<number> {
    return this.port.total(this.periodKey(userId, period))
  }

  async report(options: { since?: number } = {}): Promise<CostReport> {
    const since = options.since ?? Math.floor(this.o.now() / DAY_MS) * DAY_MS
    const rows = await this.port.rows(since)
    const report: CostReport = {
      since,
      totalUsd: 0,
      requests: rows.length,
      cachedRequests: 0,
      tokens: 0,
      byTier: {},
      byModel: {},
      byUser: {},
    }
    for (const r of rows) {
      report.totalUsd += r.costUsd
      report.tokens += r.promptTokens + r.completionTokens
      if (r.cached) report.cachedRequests++
      report.byTier[r.tier] = (report.byTier[r.tier] ?? 0) + r.costUsd
      report.byModel[r.model] = (report.byModel[r.model] ?? 0) + r.costUsd
      report.byUser[r.userId] = (report.byUser[r.userId] ?? 0) + r.costUsd
    }
    return report
  }

  private limitsFor(userId: string, tierName: string): BudgetLimit[] {
    const tier = this.o.tiers[tierName]
    const budget = tier?.unlimited ? undefined : tier?.budget
    return [
      {
        key: this.periodKey(userId, 'day'),
        limitUsd: budget?.daily ?? Number.POSITIVE_INFINITY,
        ttlMs: 2 * DAY_MS,
      },
      {
        key: this.periodKey(userId, 'month'),
        limitUsd: budget?.monthly ?? Number.POSITIVE_INFINITY,
        ttlMs: KEEP_MS,
      },
    ]
  }

  private periodKey(userId: string, period: Period): string {
    const { day, month } = this.dates()
    return `${this.keyPrefix}:${encodeURIComponent(userId)}:${period}:${period === 'day' ? day : month}`
  }

  // Formatting dates on every call shows up in profiles: keep today's strings until midnight UTC.
  private today = { until: 0, day: '', month: '' }
  private dates() {
    const now = this.o.now()
    if (now >= this.today.until || now < this.today.until - DAY_MS) {
      const iso = new Date(now).toISOString()
      this.today = {
        until: (Math.floor(now / DAY_MS) + 1) * DAY_MS,
        day: iso.slice(0, 10),
        month: iso.slice(0, 7),
      }
    }
    return this.today
  }

  private untilNext(period: Period): number {
    const now = new Date(this.o.now())
    const next =
      period === 'day'
        ? Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)
        : Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)
    return next - now.getTime()
  }

  private checkThresholds(r: Reservation, totals: Record<string, number>): void {
    for (const [i, limit] of r.limits.entries()) {
      if (!Number.isFinite(limit.limitUsd) || limit.limitUsd <= 0) continue
      const after = (totals[limit.key] ?? 0) / limit.limitUsd
      const before = ((totals[limit.key] ?? 0) - r.amountUsd) / limit.limitUsd
      for (const t of this.o.thresholds) {
        if (before < t && after >= t - 1e-9) {
          this.events.emit('budget:threshold', {
            userId: r.userId,
            tier: r.tier,
            period: i === 0 ? 'day' : 'month',
            ratio: t,
            spentUsd: totals[limit.key] ?? 0,
            limitUsd: limit.limitUsd,
          })
        }
      }
    }
  }
}
