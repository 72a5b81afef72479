import { z } from 'zod'
import { dictSchema } from '../config/dict-schema'
import { tierBudgetSchema } from '../config/limits-schema'

/** Who a spend counter is for: a user, their group, the endpoint, or the whole app. */
export type BudgetLevel = 'user' | 'group' | 'endpoint' | 'app'

/** Budgets above the user, each daily and/or monthly, USD. */
export const levelBudgetsSchema = {
  /** The whole app's spend, every call of every user. */
  app: tierBudgetSchema.optional(),
  /** Per endpoint (`ctx.endpoint`). */
  endpoints: dictSchema(tierBudgetSchema).prefault({}),
  /** Every group's budget (`ctx.group`: an organisation or team), unless `groups` names its own. */
  group: tierBudgetSchema.optional(),
  /** A group's own budget, by group id. */
  groups: dictSchema(tierBudgetSchema).prefault({}),
  /**
   * `estimate` (default): a call reserves its expected cost, and an answer longer than expected
   * overruns by the difference. `strict`: a chat reserves the cost of its longest answer, and its
   * upstream `max_tokens` is capped by what the tightest budget has left, so no answer can
   * overrun any budget.
   */
  mode: z.enum(['estimate', 'strict']).default('estimate'),
}

const levelsSchema = z.object(levelBudgetsSchema)
export type LevelBudgets = z.output<typeof levelsSchema>
type PeriodLimits = NonNullable<LevelBudgets['app']>

/** What a call's spend is counted against above its user. */
export interface SpendScope {
  endpoint?: string | undefined
  group?: string | undefined
  /** Run-time overrides of the user's and the group's budgets. */
  userBudget?: PeriodLimits | undefined
  groupBudget?: PeriodLimits | undefined
}

export interface LevelBudget {
  level: Exclude<BudgetLevel, 'user'>
  /** The group or endpoint; undefined for the app. */
  of?: string
  limits: PeriodLimits
}

/** Whether any budget above the user is configured (then a call's counters share one slot). */
export function hasLevels(b: LevelBudgets): boolean {
  return (
    b.app !== undefined ||
    b.group !== undefined ||
    Object.keys(b.groups).length > 0 ||
    Object.keys(b.endpoints).length > 0
  )
}

/** The budgets above the user a call with `scope` is counted against, tightest scope first. */
export function levelsOf(b: LevelBudgets, scope: SpendScope): LevelBudget[] {
  const out: LevelBudget[] = []
  const { group, endpoint } = scope
  if (group !== undefined) {
    const limits = scope.groupBudget ?? (Object.hasOwn(b.groups, group) ? b.groups[group] : b.group)
    if (limits) out.push({ level: 'group', of: group, limits })
  }
  if (endpoint !== undefined && Object.hasOwn(b.endpoints, endpoint))
    out.push({ level: 'endpoint', of: endpoint, limits: b.endpoints[endpoint]! })
  if (b.app) out.push({ level: 'app', limits: b.app })
  return out
}

/** How a refusal names its budget: "the app's daily budget", "group 'acme''s monthly budget". */
export function budgetName(level: BudgetLevel, of: string | undefined, periodly: string): string {
  if (level === 'user') return `the ${periodly} budget`
  if (level === 'app') return `the app's ${periodly} budget`
  return `${level} '${of}''s ${periodly} budget`
}
