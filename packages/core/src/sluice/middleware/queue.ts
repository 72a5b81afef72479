import type { Call, Outcome, SluiceMeta } from '../../chain/types'
import { named } from '../../chain/types'
import type { ChatRequest } from '../../providers/types'
import type { QueueClient } from '../../queue/queue-client'

export const CHAT_JOB = 'sluice.chat'

interface ChatJob {
  request: ChatRequest
  endpoint: string
  userId: string
  tier: string | null
  timeoutMs: number | null
  enqueuedAt: number
}

interface ChatJobResult {
  outcome: Outcome
  meta: Pick<SluiceMeta, 'provider' | 'attempts' | 'retries' | 'fallbacks' | 'queuedMs'>
}

/**
 * Puts chat calls through the durable queue: enqueue with the call's priority, wait for the
 * result. A worker in this or another process runs the rest of the chain. Wrapped calls
 * (`sluice.call`) carry a function that cannot travel, so they skip the queue.
 */
export function queueMiddleware(queue: QueueClient, waitMs: number) {
  return named('queue', async (call, next) => {
    if (!call.request) return next()
    const job: ChatJob = {
      request: call.request,
      endpoint: call.endpoint,
      userId: call.userId,
      tier: call.tier ?? null,
      timeoutMs: call.timeoutMs ?? null,
      enqueuedAt: Date.now(),
    }
    const { id } = await queue.enqueue({
      type: CHAT_JOB,
      userId: call.userId,
      data: job,
      priority: call.priority,
      maxRetries: 0,
    })
    let result: ChatJobResult
    try {
      result = await queue.wait<ChatJobResult>(id, {
        timeout: waitMs,
        ...(call.signal ? { signal: call.signal } : {}),
      })
    } catch (error) {
      // Nobody waits for it any more: a job that has not started yet must not run (and cost) later.
      await queue.cancel(id).catch(() => false)
      throw error
    }
    Object.assign(call.meta, result.meta)
    return result.outcome
  })
}

/** The worker side: rebuilds the call and runs the back of the chain. */
export function chatJobHandler(back: (call: Call) => Promise<Outcome>, blankMeta: () => SluiceMeta) {
  return async ({ data, signal }: { data: unknown; signal: AbortSignal }): Promise<ChatJobResult> => {
    const job = data as ChatJob
    const call: Call = {
      kind: 'chat',
      endpoint: job.endpoint,
      userId: job.userId,
      tier: job.tier ?? undefined,
      priority: 5,
      request: job.request,
      cache: { enabled: false, type: job.endpoint },
      signal,
      ...(job.timeoutMs !== null ? { timeoutMs: job.timeoutMs } : {}),
      meta: { ...blankMeta(), queuedMs: Date.now() - job.enqueuedAt },
      state: {},
    }
    const outcome = await back(call)
    const { provider, attempts, retries, fallbacks, queuedMs } = call.meta
    return { outcome, meta: { provider, attempts, retries, fallbacks, queuedMs } }
  }
}
