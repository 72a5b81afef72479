import { SluiceError } from '../errors/sluice-error'
import type { ChatChunk, Usage } from '../providers/types'
import { assembleChunks } from './stream-chunks'
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
  const source = outcome.stream
  async function* watched(): AsyncGenerator<ChatChunk> {
    const chunks: ChatChunk[] = []
    let usage: Usage | undefined
    let model = outcome.model
    let over = false
    try {
      for await (const chunk of source) {
        if (options.assemble) chunks.push(chunk)
        if (chunk.usage) usage = chunk.usage
        if (chunk.model) model = chunk.model
        hooks.onChunk?.(chunk)
        yield chunk
      }
      over = true
      await hooks.onEnd?.({
        value: options.assemble ? assembleChunks(chunks) : undefined,
        ...(usage ? { usage } : {}),
        ...(model !== undefined ? { model } : {}),
        ...(outcome.provider !== undefined ? { provider: outcome.provider } : {}),
      })
    } catch (error) {
      if (!over) {
        over = true
        await hooks.onError?.(error)
      }
      throw error
    } finally {
      if (!over) await hooks.onError?.(new SluiceError('cancelled', 'the stream was closed before its end'))
    }
  }
  return { ...outcome, stream: watched() }
}

/**
 * Waits for a stream's first chunk (a failure before it rejects here, where fallbacks and
 * refunds still apply) and hands back the whole stream, that chunk first.
 */
export async function openStream(source: AsyncIterable<ChatChunk>): Promise<AsyncIterable<ChatChunk>> {
  const it = source[Symbol.asyncIterator]()
  const first = await it.next()
  return (async function* () {
    try {
      if (first.done) return
      yield first.value
      for (let next = await it.next(); !next.done; next = await it.next()) yield next.value
    } finally {
      await it.return?.()
    }
  })()
}
