import { checkedChunk } from '../providers/answer-shape'
import { modelFor } from '../providers/models'
import type { ChatChunk, ChatRequest, Provider } from '../providers/types'
import type { ResilientAgent, RunOptions, RunResult } from '../resilience/resilient-agent'
import { type AttemptAbort, KEEPS_CAPACITY, type KeepsCapacity, type SendWith } from '../resilience/targets'
import { type JoinedSignal, joinSignals } from '../util/join-signals'
import { ProviderStream } from './provider-stream'

/** A provider stream with its first chunk in hand: who answered, and the whole stream from the start. */
export type OpenedStream = Omit<RunResult<null>, 'value'> & { stream: AsyncIterableIterator<ChatChunk> }

/**
 * Opens a stream: getting it to its first chunk is one attempt under the agent's retries,
 * breakers and fallback, so a stream that fails to start rejects here. After the first chunk a
 * failure ends the stream with `provider_error` (`details.partial`), never a silent truncation;
 * a reader that leaves early closes the provider's stream.
 */
export async function openWithFallback(
  agent: ResilientAgent,
  request: ChatRequest,
  options: RunOptions,
): Promise<OpenedStream> {
  type Opened = {
    first: IteratorResult<ChatChunk>
    rest: AsyncIterator<ChatChunk>
    release: () => void
  } & KeepsCapacity
  const open = async (p: Provider, join: () => JoinedSignal, sendWith?: SendWith): Promise<Opened> => {
    let joined: JoinedSignal | undefined
    // The stream holds its capacity (a concurrency slot) until it ends, not only to its first chunk.
    let freeCapacity: (() => void) | undefined
    const release = () => {
      joined?.release()
      freeCapacity?.()
    }
    try {
      const rest = p
        .stream(request, {
          get signal() {
            joined ??= join()
            return joined.signal
          },
          ...(sendWith?.onHeaders ? { onHeaders: sendWith.onHeaders } : {}),
          ...(sendWith?.key !== undefined ? { key: sendWith.key } : {}),
        })
        [Symbol.asyncIterator]()
      const first = await rest.next()
      if (!first.done) checkedChunk(p.name, first.value) // a first chunk that is not one: fall back
      return {
        first,
        rest,
        release,
        [KEEPS_CAPACITY]: (free: () => void) => {
          freeCapacity = free
        },
      }
    } catch (error) {
      release()
      throw error
    }
  }
  const all = agent.providersFor(request.model)
  const prefer = options.prefer
  const ordered = prefer
    ? [...all.filter((p) => prefer.includes(p.name)), ...all.filter((p) => !prefer.includes(p.name))]
    : all
  const { value, ...opened } = await agent.run<Opened>(
    ordered.map((p) => ({
      name: p.name,
      model: modelFor(p, request.model) ?? request.model,
      ...(p.keys ? { keys: p.keys } : {}),
      // The attempt's signal times out the wait for the first chunk; the caller's signal must
      // still reach the stream after that, so both are joined.
      // The joined signal is made only if the provider reads it (one in this process may not).
      runWith: (attempt: AttemptAbort, _timeoutMs: number, sendWith?: SendWith) =>
        open(p, () => joinSignals([attempt.signal, options.signal]), sendWith),
    })),
    agent.withNeed(request, options),
  )
  const stream = new ProviderStream(opened.provider, value.first, value.rest, value.release, options.signal)
  return { ...opened, stream }
}

/** `agent.stream`: the opened stream as a generator; `meta` is told who answered once it opens. */
export async function* streamWithFallback(
  agent: ResilientAgent,
  request: ChatRequest,
  options: RunOptions,
  meta?: (r: Omit<RunResult<null>, 'value'>) => void,
): AsyncGenerator<ChatChunk> {
  const { stream, ...opened } = await openWithFallback(agent, request, options)
  meta?.(opened)
  yield* stream
}
