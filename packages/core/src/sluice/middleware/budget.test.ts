import { describe, expect, it } from 'vitest'
import { CompletionHistory } from '../../cost/completion-history'
import { CostTracker } from '../../cost/cost-tracker'
import { SluiceError } from '../../errors/sluice-error'
import { type BudgetDeps, budgetMiddleware } from './budget'
import { answer, chatCall, countingNext } from './test-calls'

function deps(daily = 1): BudgetDeps {
  return {
    cost: new CostTracker({ tiers: { free: { budget: { daily } } } }),
    history: new CompletionHistory(),
    defaultMaxTokens: 256,
    modelsFor: (model) => [model],
  }
}
const free = (content: string) => chatCall(content, { tier: 'free' })
const upstreamDown = () => Promise.reject(new SluiceError('provider_error', 'down', { retryable: true }))

describe('budget', () => {
  it('reserves before the call and settles its real cost after', async () => {
    const d = deps()
    const call = free('hola')
    const next = countingNext(async () => {
      expect(call.steps.reservation?.amountUsd).toBeGreaterThan(0) // reserved before it ran
      return answer('hi', { prompt: 1_000_000, completion: 0 })
    })
    await budgetMiddleware(d)(call, next)
    expect(call.meta.costUsd).toBeCloseTo(0.28) // DeepSeek's price for a million prompt tokens
    expect(await d.cost.spend('ana')).toBeCloseTo(0.28)
  })

  it('over budget: budget_exceeded, and nothing runs', async () => {
    const d = deps(0)
    const next = countingNext()
    await expect(budgetMiddleware(d)(free('x'), next)).rejects.toMatchObject({ code: 'budget_exceeded' })
    expect(next.calls).toBe(0)
  })

  it('a failure gives the reservation back; one cut upstream keeps it; a handed-off call is left to its worker', async () => {
    const d = deps()
    await expect(budgetMiddleware(d)(free('a'), upstreamDown)).rejects.toThrow('down')
    expect(await d.cost.spend('ana')).toBe(0)
    const cut = free('b')
    const cancelled = () => {
      cut.steps.cutUpstream = true
      return Promise.reject(new SluiceError('cancelled', 'caller left'))
    }
    await expect(budgetMiddleware(d)(cut, cancelled)).rejects.toMatchObject({ code: 'cancelled' })
    const kept = await d.cost.spend('ana')
    expect(kept).toBeCloseTo(cut.steps.reservation!.amountUsd)
    const queued = free('c')
    await budgetMiddleware(d)(queued, async () => {
      queued.steps.handedOff = true
      return answer('from a worker')
    })
    expect(await d.cost.spend('ana')).toBeCloseTo(kept + queued.steps.reservation!.amountUsd) // still reserved
  })
})
