import { SluiceError } from '../errors/sluice-error'
import type { ChatChunk, ChatRequest } from '../providers/types'
import { joinSignals } from '../util/join-signals'
import { abortError } from '../util/sleep'
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
  type Opened = { first: IteratorResult<ChatChunk>; rest: AsyncIterator<ChatChunk>; release: () => void }
  const opened = await agent.run<Opened>(
    agent.providersFor(request.model).map((p) => ({
      name: p.name,
      // The attempt's signal times out the wait for the first chunk; the caller's signal must
      // still reach the stream after that, so both are joined.
      run: async (attempt) => {
        const { signal, release } = joinSignals([attempt, options.signal])
        try {
          const rest = p.stream(request, { signal })[Symbol.asyncIterator]()
          return { first: await rest.next(), rest, release }
        } catch (error) {
          release()
          throw error
        }
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
  const { first, rest, release } = opened.value
  let ended = first.done === true
  try {
    if (ended) return
    yield first.value
    for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value
    ended = true
  } catch (error) {
    ended = true
    if (SluiceError.is(error) && error.code === 'cancelled') throw error
    // The caller's signal stopped it: a cancellation, whatever the provider threw.
    if (options.signal?.aborted) throw abortError(options.signal)
    throw new SluiceError(
      'provider_error',
      `${opened.provider}: stream failed after it started; the answer is incomplete`,
      {
        provider: opened.provider,
        cause: error,
        details: { partial: true },
      },
    )
  } finally {
    release()
    // A reader that left early: the provider's stream is closed too (its connection goes).
    if (!ended) await Promise.resolve(rest.return?.()).catch(() => {})
  }
}
