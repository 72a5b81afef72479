import type { Call } from '../chain/types'
import { SluiceError } from '../errors/sluice-error'
import type { Monitor } from '../monitor/monitor'
import type { ChatChunk, Usage } from '../providers/types'
import type { RateLimiter } from '../rate-limit/rate-limiter'
import type { ResilientAgent } from '../resilience/resilient-agent'
import { type BudgetDeps, releaseOrCount, reserveBudget, settleOrCount } from './middleware/budget'
import { checkRateLimit } from './middleware/rate-limit'

interface StreamDeps {
  limiter: RateLimiter
  budget: BudgetDeps
  agent: ResilientAgent
  monitor: Monitor
  maxTokens: number
}

/**
 * The streaming path: the same rate limit, budget and metrics as chat (a stream is not cached).
 * The budget settles from the usage in the final chunk; the generator returns the call's meta.
 */
export async function* streamCall(call: Call, d: StreamDeps) {
  const started = performance.now()
  d.monitor.begin(call.userId)
  let reservation: Awaited<ReturnType<typeof reserveBudget>> | undefined
  let usage: Usage | undefined
  let model = call.request!.model
  let streaming = false
  try {
    await checkRateLimit(d.limiter, call, d.maxTokens)
    reservation = await reserveBudget(d.budget, call)
    const options = {
      ...(call.signal ? { signal: call.signal } : {}),
      ...(call.timeoutMs !== undefined ? { timeoutMs: call.timeoutMs } : {}),
    }
    const chunks = d.agent.stream(call.request!, options, (m) => {
      call.meta.provider = m.provider
      call.meta.attempts = m.attempts
      call.meta.retries = m.retries
      call.meta.fallbacks = m.fallbacks
    })
    for await (const chunk of chunks as AsyncGenerator<ChatChunk>) {
      if (chunk.usage) usage = chunk.usage
      if (chunk.model) model = chunk.model
      streaming = true
      yield chunk
    }
    const held = reservation
    reservation = undefined
    await settleOrCount(d.budget, call, held, { value: null, model, ...(usage ? { usage } : {}) })
    call.meta.latencyMs = performance.now() - started
    d.monitor.end(call.meta.latencyMs)
    return call.meta
  } catch (error) {
    d.monitor.end(performance.now() - started, SluiceError.is(error) ? error.code : 'internal')
    throw error
  } finally {
    // A stream that failed before its first chunk gives its reservation back; one that started
    // and then broke (or was abandoned) keeps it: the tokens were spent upstream.
    if (reservation && !streaming) await releaseOrCount(d.budget, reservation)
  }
}
