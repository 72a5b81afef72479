import { ENDED } from '../chain/stream-chunks'
import { SluiceError } from '../errors/sluice-error'
import { checkedChunk } from '../providers/answer-shape'
import type { ChatChunk, ChatRequest, Provider } from '../providers/types'
import { type JoinedSignal, joinSignals } from '../util/join-signals'
import { abortError } from '../util/sleep'
import type { ResilientAgent, RunOptions, RunResult } from './resilient-agent'

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
  type Opened = { first: IteratorResult<ChatChunk>; rest: AsyncIterator<ChatChunk>; release: () => void }
  const open = async (p: Provider, join: () => JoinedSignal): Promise<Opened> => {
    let joined: JoinedSignal | undefined
    const release = () => joined?.release()
    try {
      const rest = p
        .stream(request, {
          get signal() {
            joined ??= join()
            return joined.signal
          },
        })
        [Symbol.asyncIterator]()
      const first = await rest.next()
      if (!first.done) checkedChunk(p.name, first.value) // a first chunk that is not one: fall back
      return { first, rest, release }
    } catch (error) {
      release()
      throw error
    }
  }
  const { value, ...opened } = await agent.run<Opened>(
    agent.providersFor(request.model).map((p) => ({
      name: p.name,
      // The attempt's signal times out the wait for the first chunk; the caller's signal must
      // still reach the stream after that, so both are joined.
      run: (attempt) => open(p, () => joinSignals([attempt, options.signal])),
      // The joined signal is made only if the provider reads it (one in this process may not).
      runWith: (attempt) => open(p, () => joinSignals([attempt.signal, options.signal])),
    })),
    options,
  )
  const { rest, release } = value
  let first: IteratorResult<ChatChunk> | undefined = value.first
  let over = false
  // The caller's abort ends a read in progress, whether or not the provider listens to it.
  const caller = options.signal
  let onAbort: (() => void) | undefined
  const aborted = caller
    ? new Promise<never>((_, reject) => {
        onAbort = () => {
          reject(abortError(caller))
          void Promise.resolve(rest.return?.()).catch(() => {})
        }
        if (caller.aborted) onAbort()
        else caller.addEventListener('abort', onAbort, { once: true })
      })
    : undefined
  aborted?.catch(() => {}) // raced by each read; nobody may be reading when it fires
  const end = () => {
    over = true
    if (onAbort) caller?.removeEventListener('abort', onAbort)
    release()
  }
  if (first.done) end()
  const failed = (error: unknown) => {
    end()
    if (SluiceError.is(error, 'cancelled')) return error
    // The caller's signal stopped it: a cancellation, whatever the provider threw.
    if (options.signal?.aborted) return abortError(options.signal)
    return new SluiceError(
      'provider_error',
      `${opened.provider}: stream failed after it started; the answer is incomplete`,
      { provider: opened.provider, cause: error, details: { partial: true } },
    )
  }
  // A hand-made iterator, not a generator: each chunk of each stream passes through it.
  const stream: AsyncIterableIterator<ChatChunk> = {
    async next() {
      if (first !== undefined) {
        const head = first
        first = undefined
        if (!head.done) return head
      }
      if (over) return ENDED
      let next: IteratorResult<ChatChunk>
      try {
        next = await (aborted ? Promise.race([rest.next(), aborted]) : rest.next())
      } catch (error) {
        throw failed(error)
      }
      if (!next.done) {
        try {
          checkedChunk(opened.provider, next.value)
        } catch (error) {
          void Promise.resolve(rest.return?.()).catch(() => {})
          throw failed(error)
        }
        return next
      }
      end()
      return ENDED
    },
    async return() {
      first = undefined
      if (!over) {
        end()
        await Promise.resolve(rest.return?.()).catch(() => {})
      }
      return ENDED
    },
    [Symbol.asyncIterator]: () => stream,
  }
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
