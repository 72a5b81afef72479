import { SluiceError } from '../errors/sluice-error'
import type { ChatChunk, Usage } from '../providers/types'
import { assembleChunks, ENDED } from './stream-chunks'
import type { Outcome, StreamOutcome } from './types'

export interface StreamHooks {
  onChunk?: (chunk: ChatChunk) => void
  /**
   * After the last chunk, with the usage and model it reported; `value` is the assembled
   * completion when `assemble` was asked for (undefined when the deltas were not plain text).
   */
  onEnd?: (ended: Outcome) => void | Promise<void>
  /**
   * The stream failed after it started, or its reader stopped before the end (a `cancelled`
   * SluiceError). Runs once, instead of `onEnd`.
   */
  onError?: (error: unknown) => void | Promise<void>
}

/**
 * Watches a streamed outcome as its reader consumes it: the same chunks go through, and the hooks
 * say how it ended. This is how a middleware acts after a stream (settle its cost, store it).
 */
export function observeStream(
  outcome: StreamOutcome,
  hooks: StreamHooks,
  options: { assemble?: boolean } = {},
): StreamOutcome {
  // A hand-made iterator, not an async generator: every chunk of every stream passes through
  // several of these, and a generator's resumption costs more than the hook itself. A reader
  // takes one chunk at a time (as `for await` does).
  let source: AsyncIterator<ChatChunk> | undefined
  const chunks: ChatChunk[] = []
  let usage: Usage | undefined
  let model = outcome.model
  let over = false
  const failed = async (error: unknown) => {
    if (over) return
    over = true
    await hooks.onError?.(error)
  }
  const watched: AsyncIterableIterator<ChatChunk> = {
    async next() {
      if (over) return ENDED
      source ??= outcome.stream[Symbol.asyncIterator]()
      let next: IteratorResult<ChatChunk>
      try {
        next = await source.next()
      } catch (error) {
        await failed(error)
        throw error
      }
      if (next.done) {
        over = true
        await hooks.onEnd?.({
          value: options.assemble ? assembleChunks(chunks) : undefined,
          ...(usage ? { usage } : {}),
          ...(model !== undefined ? { model } : {}),
          ...(outcome.provider !== undefined ? { provider: outcome.provider } : {}),
        })
        return ENDED
      }
      const chunk = next.value
      if (options.assemble) chunks.push(chunk)
      if (chunk.usage) usage = chunk.usage
      if (chunk.model) model = chunk.model
      try {
        hooks.onChunk?.(chunk)
      } catch (error) {
        await Promise.resolve(source.return?.()).catch(() => {})
        await failed(error)
        throw error
      }
      return { value: chunk, done: false }
    },
    async return() {
      if (!over) {
        source ??= outcome.stream[Symbol.asyncIterator]()
        try {
          await source.return?.()
        } finally {
          await failed(new SluiceError('cancelled', 'the stream was closed before its end'))
        }
      }
      return ENDED
    },
    [Symbol.asyncIterator]: () => watched,
  }
  return { ...outcome, stream: watched }
}
