/** Tolerance for float sums of USD amounts (a millionth of a cent). */
export const USD_EPSILON = 1e-8

/**
 * Whether a reservation of `amountUsd` fits a budget with `spentUsd` already spent or reserved.
 * A spent budget refuses even a zero estimate: nothing more may be spent in that period. Every
 * usage port decides with this rule (Lua and SQL spell the same comparison).
 */
export function fitsBudget(spentUsd: number, amountUsd: number, limitUsd: number): boolean {
  if (limitUsd === Number.POSITIVE_INFINITY) return true
  if (spentUsd + amountUsd > limitUsd + USD_EPSILON) return false
  return amountUsd > 0 || spentUsd < limitUsd - USD_EPSILON
}
