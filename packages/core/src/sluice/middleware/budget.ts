import type { Call, Outcome } from '../../chain/types'
import { isStreamOutcome, named } from '../../chain/types'
import type { CompletionHistory } from '../../cost/completion-history'
import type { CostTracker, Reservation } from '../../cost/cost-tracker'
import { estimateCostOf, textTokens } from '../../cost/estimate'
import { SluiceError } from '../../errors/sluice-error'
import { observeStream } from '../../stream/observe-stream'
import { canonicalJson } from '../../util/canonical-json'
import { promptTokensOf } from './estimates'

export interface BudgetDeps {
  cost: CostTracker
  history: CompletionHistory
  /** Output tokens assumed when a request sets no max_tokens. */
  defaultMaxTokens: number
  /** Every model a request for `model` may be answered by (primary and fallbacks). */
  modelsFor: (model: string) => string[]
}

function unpriced(models: readonly string[], path: string): SluiceError {
  return new SluiceError(
    'invalid_request',
    `${path}: no price for '${models.join("', '")}': a call under a budget must be priced (add it to prices, or set budget.fallbackPrice)`,
    { path },
  )
}

/** Output tokens to expect: what this endpoint's answers recently used, never above max_tokens. */
function expectedOutput(d: BudgetDeps, call: Call, model: string, cap: number): number {
  return d.history.expected(call.endpoint, model, cap)
}

function chatEstimate(d: BudgetDeps, call: Call): number {
  if (call.pricing?.estimateUsd !== undefined) return call.pricing.estimateUsd
  const request = call.request!
  const cap = Number(request.max_tokens ?? request.max_completion_tokens ?? d.defaultMaxTokens)
  const output = expectedOutput(d, call, request.model, cap)
  const prompt = promptTokensOf(call)
  const models = d.modelsFor(request.model)
  const missing = models.filter((m) => !d.cost.priceOf(m))
  if (missing.length > 0 && d.cost.hasBudget(call.tier, scopeOf(call)))
    throw unpriced(missing, 'request.model')
  // The dearest model that may answer (a fallback can cost more than the primary).
  let usd = 0
  for (const m of models) {
    const price = d.cost.priceOf(m)
    if (price) usd = Math.max(usd, estimateCostOf(price, prompt, output))
  }
  return usd
}

function wrappedEstimate(d: BudgetDeps, call: Call): number {
  const { model, estimateUsd } = call.pricing ?? {}
  if (estimateUsd !== undefined) return estimateUsd
  const price = model === undefined ? undefined : d.cost.priceOf(model)
  if (!price) {
    if (!d.cost.hasBudget(call.tier, scopeOf(call))) return 0
    if (model !== undefined) throw unpriced([model], 'ctx.model')
    throw new SluiceError(
      'invalid_request',
      'ctx.estimateUsd: a wrapped call under a budget needs ctx.estimateUsd or a priced ctx.model',
      { path: 'ctx.estimateUsd' },
    )
  }
  const prompt = textTokens(canonicalJson(call.input))
  return estimateCostOf(price, prompt, expectedOutput(d, call, model!, d.defaultMaxTokens))
}

/** What a call is expected to cost: its prompt plus the output its endpoint usually returns. */
export function estimateCost(d: BudgetDeps, call: Call): number {
  return call.request ? chatEstimate(d, call) : wrappedEstimate(d, call)
}

/** What a call's spend counts against above its user: its group and endpoint (and the app). */
const scopeOf = (call: Call) => ({
  endpoint: call.endpoint,
  group: call.group,
  userBudget: call.steps.overrides?.user?.budget,
  groupBudget: call.steps.overrides?.group?.budget,
})

export function reserveBudget(d: BudgetDeps, call: Call): Promise<Reservation> {
  if (d.cost.strict && call.request && call.pricing?.estimateUsd === undefined) return reserveStrict(d, call)
  return d.cost.reserve(call.userId, call.tier, estimateCost(d, call), scopeOf(call))
}

/**
 * Strict mode: a chat reserves what its longest answer costs (its prompt and `max_tokens` of
 * output, at the dearest model that may answer), and when that does not fit, as many output
 * tokens as the tightest budget has left: its upstream `max_tokens` is set to what it reserved,
 * so no answer can cost more. An answer cut short that way is neither cached nor shared.
 */
async function reserveStrict(d: BudgetDeps, call: Call): Promise<Reservation> {
  const request = call.request!
  const asked = request.max_tokens ?? request.max_completion_tokens
  const cap = Number(asked ?? d.defaultMaxTokens)
  const prompt = promptTokensOf(call)
  const models = d.modelsFor(request.model)
  const missing = models.filter((m) => !d.cost.priceOf(m))
  if (missing.length > 0 && d.cost.hasBudget(call.tier, scopeOf(call)))
    throw unpriced(missing, 'request.model')
  const prices = models.flatMap((m) => d.cost.priceOf(m) ?? [])
  const amountFor = (n: number) => Math.max(0, ...prices.map((p) => estimateCostOf(p, prompt, n)))
  const { reservation, n } = await d.cost.reserveUpTo(call.userId, call.tier, scopeOf(call), amountFor, cap)
  if (n !== asked) {
    const field =
      request.max_completion_tokens !== undefined && request.max_tokens === undefined
        ? 'max_completion_tokens'
        : 'max_tokens'
    call.request = { ...request, [field]: n }
    if (n < cap) call.cache.enabled = false
  }
  return reservation
}

/** Settles a finished call: its real cost replaces the reservation (0 for cache hits). */
export async function settleBudget(d: BudgetDeps, call: Call, reservation: Reservation, outcome: Outcome) {
  const free = call.meta.cached || call.meta.coalesced
  const requested = call.request?.model ?? call.pricing?.model
  const model = outcome.model ?? requested ?? call.endpoint
  if (!free && outcome.usage && requested !== undefined)
    d.history.observe(call.endpoint, requested, outcome.usage.completion_tokens)
  call.meta.costUsd = await d.cost.settle(reservation, {
    model,
    models: requested === undefined ? [] : [requested, ...(call.request ? d.modelsFor(requested) : [])],
    ...(outcome.usage && !free ? { usage: outcome.usage } : {}),
    provider: call.meta.provider ?? '',
    endpoint: call.endpoint,
    cached: free,
  })
}

/**
 * Reserves the expected cost before the call and settles the real one after. When the queue
 * step hands the call to a worker (`call.steps.handedOff`), the worker settles it — also when
 * the waiter has given up — so the reservation is neither settled nor released here. A stream
 * settles from the usage of its last chunk; one that failed before its first chunk gives its
 * reservation back, one that broke or was left after it keeps it (its tokens were spent).
 */
export function budgetMiddleware(d: BudgetDeps) {
  return named('budget', async (call, next) => {
    const reservation = await reserveBudget(d, call)
    call.steps.reservation = reservation
    let outcome: Outcome
    try {
      outcome = await next()
    } catch (error) {
      // A stream that broke after it started (a wrapped one, e.g. through the AI SDK) spent its
      // tokens, and so may a call cancelled while its request was upstream: its reservation
      // stands as its cost (else a caller who hangs up just before each answer spends unbudgeted).
      const spent = brokeAfterStart(error) || call.steps.cutUpstream === true
      if (!call.steps.handedOff && !spent) await releaseOrCount(d, reservation)
      throw error
    }
    if (call.steps.handedOff) return outcome
    if (!isStreamOutcome(outcome)) {
      await settleOrCount(d, call, reservation, outcome)
      return outcome
    }
    return observeStream(outcome, { onEnd: (ended) => settleOrCount(d, call, reservation, ended) })
  })
}

const brokeAfterStart = (error: unknown) =>
  SluiceError.is(error, 'provider_error') && error.details.partial === true

/** Settles a call whose answer is in hand; a store that cannot take it does not fail the call. */
export function settleOrCount(d: BudgetDeps, call: Call, reservation: Reservation, outcome: Outcome) {
  return settleBudget(d, call, reservation, outcome).catch(unsettled(d))
}

/** Gives a reservation back; a store that cannot take it leaves it reserved (budgets fail closed). */
export function releaseOrCount(d: BudgetDeps, reservation: Reservation) {
  return d.cost.release(reservation).catch(unsettled(d))
}

/**
 * The answer is in hand when the store fails to settle it: the call succeeds, the cost is
 * counted as unsettled (`cost.unsettled`), and a reservation that could not be given back
 * stays reserved until its period ends (budgets fail closed). Other errors propagate.
 */
function unsettled(d: BudgetDeps) {
  return (error: unknown) => {
    if (!SluiceError.is(error, 'store_unavailable')) throw error
    d.cost.unsettled++
  }
}
