import { SluiceError } from '../errors/sluice-error'
import { checkedChunk } from '../providers/answer-shape'
import type { ChatChunk } from '../providers/types'
import { abortError } from '../util/sleep'
import { closeQuietly, ENDED } from './stream-chunks'

const noop = () => {}

/**
 * A provider's stream once its first chunk is in: that chunk first, then the rest. A failure
 * ends it with `provider_error` (`details.partial`), never a silent truncation; the caller's
 * abort ends a read in progress (whether or not the provider listens) with `cancelled`; a reader
 * that leaves early closes the provider's stream. A class, not closures: one object per stream,
 * and every chunk passes through it.
 */
export class ProviderStream implements AsyncIterableIterator<ChatChunk> {
  private first: IteratorResult<ChatChunk> | undefined
  private over = false
  private readonly aborted: Promise<never> | undefined
  private onAbort: (() => void) | undefined

  constructor(
    private readonly provider: string,
    first: IteratorResult<ChatChunk>,
    private readonly rest: AsyncIterator<ChatChunk>,
    private readonly release: () => void,
    private readonly caller: AbortSignal | undefined,
  ) {
    this.first = first
    if (caller) {
      this.aborted = new Promise<never>((_, reject) => {
        this.onAbort = () => {
          reject(abortError(caller))
          this.closeSource()
        }
        if (caller.aborted) this.onAbort()
        else caller.addEventListener('abort', this.onAbort, { once: true })
      })
      this.aborted.catch(noop) // raced by each read; nobody may be reading when it fires
    }
    if (first.done) this.end()
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<ChatChunk>> {
    const head = this.first
    if (head !== undefined) {
      this.first = undefined
      if (!head.done) return head
    }
    if (this.over) return ENDED
    let next: IteratorResult<ChatChunk>
    try {
      next = await (this.aborted ? Promise.race([this.rest.next(), this.aborted]) : this.rest.next())
      if (next.done) {
        this.end()
        return ENDED
      }
      checkedChunk(this.provider, next.value)
    } catch (error) {
      this.closeSource()
      throw this.failed(error)
    }
    return next
  }

  async return(): Promise<IteratorResult<ChatChunk>> {
    this.first = undefined
    if (!this.over) {
      this.end()
      await closeQuietly(this.rest)
    }
    return ENDED
  }

  private end(): void {
    this.over = true
    if (this.onAbort) this.caller?.removeEventListener('abort', this.onAbort)
    this.release()
  }

  private closeSource(): void {
    void closeQuietly(this.rest)
  }

  private failed(error: unknown): unknown {
    this.end()
    if (SluiceError.is(error, 'cancelled')) return error
    // The caller's signal stopped it: a cancellation, whatever the provider threw.
    if (this.caller?.aborted) return abortError(this.caller)
    return new SluiceError(
      'provider_error',
      `${this.provider}: stream failed after it started; the answer is incomplete`,
      { provider: this.provider, cause: error, details: { partial: true } },
    )
  }
}
