import { describe, expect, it } from 'vitest'
import type { Call } from '../../chain/types'
import { CompletionHistory } from '../../cost/completion-history'
import { CostTracker } from '../../cost/cost-tracker'
import { SluiceError } from '../../errors/sluice-error'
import { QueueClient } from '../../queue/queue-client'
import { CHAT_JOB, chatJobHandler, queueMiddleware } from './queue'
import { answer, chatCall, countingNext } from './test-calls'

const budget = {
  cost: new CostTracker({}),
  history: new CompletionHistory(),
  defaultMaxTokens: 256,
  modelsFor: (m: string) => [m],
}

describe('queue', () => {
  it('hands the call to a worker, which runs the back of the chain with the call as it was queued', async () => {
    const queue = new QueueClient({ pollInterval: 50 })
    const ran: Call[] = []
    const worker = queue.process(
      CHAT_JOB,
      chatJobHandler(async (call) => {
        ran.push(call)
        call.meta.provider = 'deepseek'
        call.meta.attempts = 1
        return answer('from the worker')
      }, budget),
    )
    const call = chatCall('hola', { priority: 2, tier: 'premium' })
    const next = countingNext()
    const outcome = await queueMiddleware(queue, 5_000, () => undefined)(call, next)
    expect(outcome.value).toMatchObject({ choices: [{ message: { content: 'from the worker' } }] })
    expect(next.calls).toBe(0) // the rest of the chain ran on the worker
    expect(call.steps.handedOff).toBe(true)
    expect(call.meta).toMatchObject({ provider: 'deepseek', attempts: 1 })
    expect(ran[0]).toMatchObject({ priority: 2, tier: 'premium', userId: 'ana', request: call.request })
    await worker.stop()
    await queue.close()
  })

  it("the worker's error reaches the waiter whole; a stream is not queued", async () => {
    const queue = new QueueClient({ pollInterval: 50 })
    const worker = queue.process(
      CHAT_JOB,
      chatJobHandler(async () => {
        throw new SluiceError('circuit_open', 'deepseek: circuit open', { retryAfterMs: 42_000 })
      }, budget),
    )
    const e = await queueMiddleware(queue, 5_000, () => undefined)(chatCall(), countingNext()).catch((x) => x)
    expect(e).toMatchObject({ code: 'circuit_open', retryAfterMs: 42_000 })
    const next = countingNext()
    await queueMiddleware(queue, 5_000, () => undefined)(chatCall('s', { stream: true }), next)
    expect(next.calls).toBe(1)
    await worker.stop()
    await queue.close()
  })
})
