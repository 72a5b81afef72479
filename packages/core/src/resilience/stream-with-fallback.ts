import { SluiceError } from '../errors/sluice-error'
import type { ChatChunk, ChatRequest } from '../providers/types'
import type { ResilientAgent, RunOptions, RunResult } from './resilient-agent'

/**
 * `agent.stream`: opening a stream (up to its first chunk) is one attempt under the agent's
 * retries, breakers and fallback; after the first chunk a failure ends the stream with
 * `provider_error` (`details.partial`), never a silent truncation.
 */
export async function* streamWithFallback(
  agent: ResilientAgent,
  request: ChatRequest,
  options: RunOptions,
  meta?: (r: Omit<RunResult<null>, 'value'>) => void,
): AsyncGenerator<ChatChunk> {
  type Opened = { first: IteratorResult<ChatChunk>; rest: AsyncIterator<ChatChunk> }
  const opened = await agent.run<Opened>(
    agent.providersFor(request.model).map((p) => ({
      name: p.name,
      // The attempt's signal times out the wait for the first chunk; the caller's signal must
      // still reach the stream after that, so both are joined.
      run: async (attempt) => {
        const signals = [attempt, options.signal].filter((x): x is AbortSignal => x !== undefined)
        const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0]
        const rest = p.stream(request, { ...(signal ? { signal } : {}) })[Symbol.asyncIterator]()
        return { first: await rest.next(), rest }
      },
    })),
    options,
  )
  meta?.({
    provider: opened.provider,
    attempts: opened.attempts,
    retries: opened.retries,
    fallbacks: opened.fallbacks,
  })
  const { first, rest } = opened.value
  if (first.done) return
  yield first.value
  try {
    for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value
  } catch (error) {
    if (SluiceError.is(error) && error.code === 'cancelled') throw error
    throw new SluiceError(
      'provider_error',
      `${opened.provider}: stream failed after it started; the answer is incomplete`,
      {
        provider: opened.provider,
        cause: error,
        details: { partial: true },
      },
    )
  }
}
