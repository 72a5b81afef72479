import { z } from 'zod'
import { dictSchema } from '../config/dict-schema'
import { tiersSchema } from '../config/limits-schema'
import type { Usage } from '../providers/types'
import type { Store } from '../store/store'
import type { BudgetLimit } from '../store/usage-port'
import { levelBudgetsSchema } from './budget-levels'
import { priceHoursSchema } from './price-hours'
import type { Counter } from './thresholds'

export const priceSchema = z
  .object({
    input: z.number().nonnegative(),
    cachedInput: z.number().nonnegative().optional(),
    output: z.number().nonnegative(),
    /** Other prices in some hours of some weekdays (UTC): the first that holds at the call's time. */
    hours: z.array(priceHoursSchema).optional(),
  })
  .strict()

export const costTrackerSchema = z.object({
  store: z.custom<Store>((v) => typeof v === 'object' && v !== null).optional(),
  tiers: tiersSchema.prefault({}),
  /** Extra or changed prices (USD per million tokens), merged over the built-in table. */
  prices: dictSchema(priceSchema).prefault({}),
  /**
   * The price of a model the table lacks. Without it, a call to an unpriced model by a user
   * with a budget is refused: a budget that cannot price a call cannot hold.
   */
  fallbackPrice: priceSchema.optional(),
  ...levelBudgetsSchema,
  /** Budget ratios that fire `budget:threshold` when a user's spend crosses them. */
  thresholds: z.array(z.number().positive().max(1)).default([0.8, 1]),
  /** When the store fails: `closed` (default) refuses the call, `open` lets it through unbudgeted. */
  onStoreError: z.enum(['open', 'closed']).default('closed'),
  prefix: z.string().min(1).default('sluice'),
  now: z.custom<() => number>((v) => typeof v === 'function').default(() => Date.now),
})

export type CostTrackerOptions = z.input<typeof costTrackerSchema>

export interface Reservation {
  id: string
  userId: string
  tier: string
  amountUsd: number
  /** The budgets the amount was reserved against (finite ones only; none when unbudgeted). */
  limits: BudgetLimit[]
  /** Every spend counter the call's cost goes to (day and month), budgeted or not. */
  counters: Counter[]
  /** When the call was made: its usage is priced as of then (prices may change by the hour). */
  at?: number
}

export interface SettleInput {
  /** The model that answered; the first priced of `model` and `models` prices the usage. */
  model: string
  models?: readonly string[]
  usage?: Usage
  provider?: string
  endpoint?: string
  cached?: boolean
}
