import type { Call } from '../../chain/types'
import { named } from '../../chain/types'
import type { CostTracker, Reservation } from '../../cost/cost-tracker'
import { maxCostOf } from '../../cost/estimate'
import { promptTokensOf } from './estimates'

/** The worst-case cost of a call: for chat, its prompt and max_tokens at the model's list price. */
export function estimateCost(cost: CostTracker, call: Call, defaultMaxTokens: number): number {
  if (!call.request) return 0
  const price = cost.priceOf(call.request.model)
  return price ? maxCostOf(price, call.request, defaultMaxTokens, promptTokensOf(call)) : 0
}

export function reserveBudget(cost: CostTracker, call: Call, defaultMaxTokens: number): Promise<Reservation> {
  return cost.reserve(call.userId, call.tier, estimateCost(cost, call, defaultMaxTokens))
}

/** Reserves the worst case before the call; settles to the real cost after (0 for cache hits). */
export function budgetMiddleware(cost: CostTracker, defaultMaxTokens: number) {
  return named('budget', async (call, next) => {
    const reservation = await reserveBudget(cost, call, defaultMaxTokens)
    let outcome: Awaited<ReturnType<typeof next>>
    try {
      outcome = await next()
    } catch (error) {
      await cost.release(reservation)
      throw error
    }
    const free = call.meta.cached || call.meta.coalesced
    call.meta.costUsd = await cost.settle(reservation, {
      model: outcome.model ?? call.request?.model ?? call.endpoint,
      ...(outcome.usage && !free ? { usage: outcome.usage } : {}),
      provider: call.meta.provider ?? '',
      endpoint: call.endpoint,
      cached: free,
    })
    return outcome
  })
}
