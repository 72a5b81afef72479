import type { z } from 'zod'
import { parseOptions } from '../config/parse-options'
import { SluiceError, storeFailed } from '../errors/sluice-error'
import type { Usage } from '../providers/types'
import { dayOfRows, utcDay } from '../store/day-totals'
import { defaultStore } from '../store/default-store'
import { guardStore } from '../store/store-guard'
import { USD_EPSILON } from '../store/usage-math'
import type { DayTotals, UsagePort, UsageRow } from '../store/usage-port'
import { Emitter } from '../util/emitter'
import { randomId } from '../util/hash'
import { checkId, keyOf } from '../util/keys'
import { budgetName, levelsOf, type SpendScope } from './budget-levels'
import { buildReport, type CostReport } from './cost-report'
import {
  type CostTrackerOptions,
  costTrackerSchema,
  priceSchema,
  type Reservation,
  type SettleInput,
} from './cost-tracker-schema'
import { costOf } from './estimate'
import { DAY_MS, type Period, PeriodClock, periodly } from './periods'
import { priceAt } from './price-hours'
import { DEFAULT_PRICES, type ModelPrice } from './prices'
import { SpendCounters } from './spend-counters'
import { type Counter, type ThresholdEvent, Thresholds } from './thresholds'

export type { CostReport, CostTrackerOptions, Period, Reservation, SettleInput, ThresholdEvent }
export { priceSchema }

/**
 * Spend per user per UTC day and month with reserve-then-settle: a call reserves its estimated
 * cost first, so 200 concurrent calls cannot overspend a budget by more than their estimates
 * fall short of what the calls really cost.
 */
export class CostTracker {
  readonly events = new Emitter<{ 'budget:threshold': ThresholdEvent }>()
  private readonly o: z.output<typeof costTrackerSchema>
  private readonly port: UsagePort
  private readonly prices: Record<string, ModelPrice>
  private readonly clock: PeriodClock
  private readonly thresholds: Thresholds
  private readonly counters: SpendCounters
  /** Calls whose settle (or release) the store could not take; the spend of those went unrecorded. */
  unsettled = 0

  constructor(options: CostTrackerOptions = {}) {
    this.o = parseOptions(costTrackerSchema, options, 'budget')
    this.port = (this.o.store && guardStore(this.o.store).usage) || defaultStore().usage
    this.prices = Object.assign(Object.create(null), DEFAULT_PRICES.models, this.o.prices)
    this.clock = new PeriodClock(this.o.now)
    this.counters = new SpendCounters(keyOf(this.o.prefix, 'spend'), this.o, this.clock)
    this.thresholds = new Thresholds(this.o.thresholds, (e) => this.events.emit('budget:threshold', e))
  }

  /** The model's price at `at` (now by default), or the fallback price, or undefined when neither exists. */
  priceOf(model: string, at: number = this.o.now()): ModelPrice | undefined {
    const price = this.prices[model] ?? this.o.fallbackPrice
    return price ? priceAt(price, at) : undefined
  }

  /** USD for real usage at the price of `at` (now by default), or undefined when none of the models has a price. */
  costOf(models: readonly string[], usage: Usage, at: number = this.o.now()): number | undefined {
    for (const m of models) {
      const price = this.priceOf(m, at)
      if (price) return costOf(price, usage)
    }
    return undefined
  }

  /** Whether a call of this tier (and scope) has a finite budget at any level (so it must be priced). */
  hasBudget(tier: string | undefined, scope: SpendScope = {}): boolean {
    const t = this.o.tiers[tier ?? '_']
    if (t?.unlimited) return false
    if (levelsOf(this.o, scope).length > 0 || scope.userBudget) return true
    if (!t?.budget) return false
    return t.budget.daily !== undefined || t.budget.monthly !== undefined
  }

  /** `strict`: chats reserve their longest answer and are capped to what the budgets have left. */
  get strict(): boolean {
    return this.o.mode === 'strict'
  }

  /**
   * Reserves `amountUsd` against the user's daily and monthly budgets, and those above the user
   * the call counts against (`scope`: its group and endpoint; the app), all in one store
   * operation, or throws budget_exceeded. A call with no finite budget costs no store call here.
   */
  async reserve(
    userId: string,
    tier: string | undefined,
    amountUsd: number,
    scope: SpendScope = {},
  ): Promise<Reservation> {
    const { reservation, result } = await this.tryReserve(userId, tier, amountUsd, scope)
    if (!result.ok) throw this.refusal(reservation, result)
    return reservation
  }

  /**
   * Reserves the most of `amountFor(n)` that fits, for `n` from `most` down to `least` (a chat's
   * output tokens: its cost grows with them), and returns the `n` it reserved for; budget_exceeded
   * when not even `least` fits. Each try is one atomic reservation, so concurrent callers never
   * overspend; a try that loses a race to another caller looks again.
   */
  async reserveUpTo(
    userId: string,
    tier: string | undefined,
    scope: SpendScope,
    amountFor: (n: number) => number,
    most: number,
    least = 1,
  ): Promise<{ reservation: Reservation; n: number }> {
    let n = most
    for (let tries = 0; ; tries++) {
      const { reservation, result } = await this.tryReserve(userId, tier, amountFor(n), scope)
      if (result.ok) return { reservation, n }
      // What the tightest budget has left decides how many fit.
      const room = Math.min(...reservation.limits.map((l) => l.limitUsd - (result.totals[l.key] ?? 0)))
      let fit = least - 1
      for (let lo = least, hi = n - 1; lo <= hi; ) {
        const mid = Math.floor((lo + hi) / 2)
        if (amountFor(mid) <= room + USD_EPSILON) {
          fit = mid
          lo = mid + 1
        } else hi = mid - 1
      }
      if (fit < least || tries >= 5) throw this.refusal(reservation, result)
      n = fit
    }
  }

  private async tryReserve(
    userId: string,
    tier: string | undefined,
    amountUsd: number,
    scope: SpendScope,
  ): Promise<{ reservation: Reservation; result: Awaited<ReturnType<UsagePort['reserve']>> }> {
    checkId(userId, 'userId')
    if (!Number.isFinite(amountUsd) || amountUsd < 0) {
      throw new SluiceError('invalid_request', 'amountUsd: expected a finite number ≥ 0', {
        path: 'amountUsd',
      })
    }
    const tierName = tier ?? '_'
    const counters = this.countersFor(userId, tierName, scope)
    const limits = counters.flatMap((c) =>
      c.limitUsd === undefined ? [] : [{ key: c.key, limitUsd: c.limitUsd, ttlMs: c.ttlMs }],
    )
    const reservation: Reservation = {
      id: randomId(),
      userId,
      tier: tierName,
      amountUsd,
      limits,
      counters,
      at: this.o.now(),
    }
    const fits = { ok: true, totals: {} }
    if (limits.length === 0) return { reservation, result: fits }
    let result: Awaited<ReturnType<UsagePort['reserve']>>
    try {
      result = await this.port.reserve(amountUsd, limits)
    } catch (cause) {
      if (this.o.onStoreError === 'open') return { reservation: { ...reservation, limits: [] }, result: fits }
      throw storeFailed('budget store failed; refusing the call (budgets fail closed)', cause)
    }
    if (result.ok)
      this.thresholds.crossed({ userId, tier: tierName }, counters, result.totals, () => amountUsd)
    return { reservation, result }
  }

  private refusal(r: Reservation, result: Awaited<ReturnType<UsagePort['reserve']>>): SluiceError {
    const denied = r.counters.find((c) => c.key === result.deniedBy)!
    const spentUsd = result.totals[denied.key] ?? 0
    this.thresholds.refused({ userId: r.userId, tier: r.tier }, denied, spentUsd)
    const name = budgetName(denied.level, denied.of, periodly(denied.period))
    return new SluiceError('budget_exceeded', `budget: ${name} of $${denied.limitUsd} is spent`, {
      retryAfterMs: this.clock.untilNext(denied.period),
      details: {
        level: denied.level,
        ...(denied.of !== undefined ? { [denied.level]: denied.of } : {}),
        period: denied.period,
        limitUsd: denied.limitUsd,
        spentUsd,
      },
    })
  }

  /**
   * Replaces the reservation by the real cost and records a usage row, in one store call.
   * Returns the cost. When no model of the answer has a price, the reservation stands as the
   * cost: an unpriced answer is never free.
   */
  async settle(reservation: Reservation, input: SettleInput): Promise<number> {
    const models = [input.model, ...(input.models ?? [])]
    const priced = input.usage ? this.costOf(models, input.usage, reservation.at) : undefined
    const cost = input.cached ? 0 : (priced ?? reservation.amountUsd)
    await this.write(reservation, cost, input)
    return cost
  }

  /** Gives a reservation back (the call failed before it cost anything). */
  async release(reservation: Reservation): Promise<void> {
    if (reservation.amountUsd <= 0 || reservation.limits.length === 0) return
    await this.port.settle(
      reservation.limits.map((l) => ({ key: l.key, deltaUsd: -reservation.amountUsd, ttlMs: l.ttlMs })),
    )
  }

  /** Records a call that made no reservation; adds its cost to the user's spend (and the levels above). */
  async record(userId: string, tier: string, input: SettleInput, scope: SpendScope = {}): Promise<number> {
    const usd =
      input.cached || !input.usage
        ? 0
        : (this.costOf([input.model, ...(input.models ?? [])], input.usage) ?? 0)
    const counters = this.countersFor(userId, tier, { endpoint: input.endpoint, ...scope })
    await this.write({ id: randomId(), userId, tier, amountUsd: 0, limits: [], counters }, usd, input)
    return usd
  }

  // One store call: every counter moves by the cost minus what was reserved on it, and the row.
  private async write(r: Reservation, cost: number, input: SettleInput): Promise<void> {
    // A counter a reservation moved gets the difference (a call reserves on two counters at most).
    const delta = (key: string) => cost - (r.limits.some((l) => l.key === key) ? r.amountUsd : 0)
    const changes = r.counters.map((c) => ({ key: c.key, deltaUsd: delta(c.key), ttlMs: c.ttlMs }))
    const row: UsageRow = {
      userId: r.userId,
      tier: r.tier,
      endpoint: input.endpoint ?? 'default',
      provider: input.provider ?? '',
      model: input.model,
      promptTokens: input.usage?.prompt_tokens ?? 0,
      completionTokens: input.usage?.completion_tokens ?? 0,
      cachedTokens: input.usage?.prompt_cache_hit_tokens ?? 0,
      costUsd: cost,
      cached: input.cached ?? false,
      at: this.o.now(),
    }
    const after = await this.port.settle(changes, row)
    this.thresholds.crossed({ userId: r.userId, tier: r.tier }, r.counters, after, delta)
  }

  /** USD spent (and reserved by calls in flight) by a user in the current UTC day or month. */
  async spend(userId: string, period: Period = 'day'): Promise<number> {
    return this.port.total(this.counters.userKey(userId, period))
  }

  async report(options: { since?: number } = {}): Promise<CostReport> {
    const since = options.since ?? Math.floor(this.o.now() / DAY_MS) * DAY_MS
    return buildReport(since, await this.port.rows(since))
  }

  /**
   * Today's (UTC) spend, requests and cached requests, by tier and endpoint: from the store's day
   * totals where it keeps them (one read), else summed from the day's rows.
   */
  async today(): Promise<DayTotals> {
    const now = this.o.now()
    if (this.port.dayTotals) return this.port.dayTotals(utcDay(now))
    return dayOfRows(await this.port.rows(Math.floor(now / DAY_MS) * DAY_MS))
  }

  /** USD spent (and reserved) by the app, a group or an endpoint in the current UTC day or month. */
  async levelSpend(
    level: 'app' | 'group' | 'endpoint',
    of?: string,
    period: Period = 'day',
  ): Promise<number> {
    return this.port.total(this.counters.levelKey(level, of, period))
  }

  private countersFor(userId: string, tierName: string, scope: SpendScope = {}): Counter[] {
    return this.counters.for(userId, this.o.tiers[tierName], scope)
  }
}
