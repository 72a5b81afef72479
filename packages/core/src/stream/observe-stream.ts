import type { Outcome, StreamOutcome } from '../chain/types'
import { SluiceError } from '../errors/sluice-error'
import type { ChatChunk, Usage } from '../providers/types'
import { assembleChunks, closeQuietly, ENDED } from './stream-chunks'

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
  return { ...outcome, stream: new Watched(outcome, hooks, options.assemble === true) }
}

/**
 * A hand-made iterator, not an async generator, and a class, not closures: every chunk of every
 * stream passes through several of these, and a generator's resumption (or a stream's worth of
 * closures) costs more than the hook itself. A reader takes one chunk at a time (as `for await`
 * does).
 */
class Watched implements AsyncIterableIterator<ChatChunk> {
  private source: AsyncIterator<ChatChunk> | undefined
  private readonly chunks: ChatChunk[] = []
  private usage: Usage | undefined
  private model: string | undefined
  private over = false

  constructor(
    private readonly outcome: StreamOutcome,
    private readonly hooks: StreamHooks,
    private readonly assemble: boolean,
  ) {
    this.model = outcome.model
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<ChatChunk>> {
    if (this.over) return ENDED
    this.source ??= this.outcome.stream[Symbol.asyncIterator]()
    let next: IteratorResult<ChatChunk>
    try {
      next = await this.source.next()
    } catch (error) {
      await this.failed(error)
      throw error
    }
    if (next.done) {
      this.over = true
      await this.hooks.onEnd?.({
        value: this.assemble ? assembleChunks(this.chunks) : undefined,
        ...(this.usage ? { usage: this.usage } : {}),
        ...(this.model !== undefined ? { model: this.model } : {}),
        ...(this.outcome.provider !== undefined ? { provider: this.outcome.provider } : {}),
      })
      return ENDED
    }
    const chunk = next.value
    if (this.assemble) this.chunks.push(chunk)
    if (chunk.usage) this.usage = chunk.usage
    if (chunk.model) this.model = chunk.model
    try {
      this.hooks.onChunk?.(chunk)
    } catch (error) {
      await closeQuietly(this.source)
      await this.failed(error)
      throw error
    }
    return next
  }

  async return(): Promise<IteratorResult<ChatChunk>> {
    if (!this.over) {
      this.source ??= this.outcome.stream[Symbol.asyncIterator]()
      try {
        await this.source.return?.()
      } finally {
        await this.failed(new SluiceError('cancelled', 'the stream was closed before its end'))
      }
    }
    return ENDED
  }

  private async failed(error: unknown): Promise<void> {
    if (this.over) return
    this.over = true
    await this.hooks.onError?.(error)
  }
}
