import type { Call, Outcome } from '../../chain/types'
import type { ChatCompletion } from '../../providers/types'
import { parseUsage } from '../../providers/usage'
import type { ResilientAgent, RunOptions } from '../../resilience/resilient-agent'
import { continuing } from '../../stream/continue-stream'
import { watchAttempts } from './attempt-watch'
import { promptTokensOf } from './estimates'

/** A wrapped call's result, with its usage when it reports one (OpenAI or AI SDK shapes). */
export function wrappedOutcome(value: unknown): Outcome {
  const v = (typeof value === 'object' && value !== null ? value : {}) as { usage?: unknown; model?: unknown }
  const usage = parseUsage(v.usage)
  return {
    value,
    ...(usage ? { usage } : {}),
    ...(typeof v.model === 'string' ? { model: v.model } : {}),
  }
}

/**
 * A stream opened with its first chunk in hand: retries and fallback happen before it, so a
 * stream that fails to start is a rejection here, where every step before can still undo.
 */
async function streamStep(agent: ResilientAgent, call: Call, options: RunOptions): Promise<Outcome> {
  const { stream, provider, attempts, retries, fallbacks, capacityWaitMs } = await agent.openStream(
    call.request!,
    options,
  )
  call.meta.provider = provider
  call.meta.attempts += attempts
  call.meta.retries += retries
  call.meta.fallbacks += fallbacks
  call.meta.capacityWaitMs += capacityWaitMs
  // Plain text that breaks mid-way continues on the next provider (streams.continue).
  const opened = { stream, provider, attempts, retries, fallbacks, capacityWaitMs }
  const live = call.continuations ? continuing(agent, call, options, opened, call.continuations) : stream
  return { value: undefined, stream: live, model: call.request!.model, provider }
}

/** The last step: retries, breakers and fallback around the provider (or the wrapped call). */
export async function resilientStep(agent: ResilientAgent, call: Call): Promise<Outcome> {
  const options: RunOptions = {
    ...(call.signal ? { signal: call.signal } : {}),
    ...(call.timeoutMs !== undefined ? { timeoutMs: call.timeoutMs } : {}),
    onAttempt: watchAttempts([call]),
    ...(call.request
      ? {
          capacity: {
            tokens: agent.tokensOf(call.request, promptTokensOf(call)),
            priority: call.priority,
            user: call.userId,
          },
        }
      : {}),
    ...(call.steps.onCapacityWait ? { onCapacityWait: call.steps.onCapacityWait } : {}),
  }
  if (call.stream) return streamStep(agent, call, options)
  const result = call.request
    ? await agent.chat(call.request, options)
    : await agent.run(
        (call.targets ?? [{ name: call.endpoint, run: call.run! }]).map((t) => ({
          name: t.name,
          run: (signal?: AbortSignal) => t.run(call.input, signal!), // wrapped targets always get the timeout signal
        })),
        options,
      )
  call.meta.provider = result.provider
  call.meta.attempts += result.attempts
  call.meta.retries += result.retries
  call.meta.fallbacks += result.fallbacks
  call.meta.capacityWaitMs += result.capacityWaitMs
  if (!call.request) return { ...wrappedOutcome(result.value), provider: result.provider }
  const completion = result.value as ChatCompletion // checked by the agent to be a completion
  return {
    value: completion,
    ...(completion.usage ? { usage: completion.usage } : {}),
    model: completion.model,
    provider: result.provider,
  }
}
