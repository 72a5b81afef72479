import type { ChatChunk, ChatCompletion } from '../providers/types'
import { abortError } from '../util/sleep'
import { assembleChunks, closeQuietly, ENDED } from './stream-chunks'

export interface SharedStream {
  /**
   * A new reader: every chunk from the first, then the live ones as they come. When its `signal`
   * aborts, the reader leaves (its read in progress throws the abort); the others read on.
   */
  read(signal?: AbortSignal): AsyncIterableIterator<ChatChunk>
  /** The whole answer once the stream ended (undefined when it was not plain text, or was left). */
  done: Promise<ChatCompletion | undefined>
}

/**
 * Reads one upstream stream and hands its chunks to any number of readers — identical streams in
 * flight share one upstream stream. It reads on while one reader does; when the last one leaves
 * before the end, the upstream stream is closed (no tokens are paid for nobody) and `done` has no
 * answer, so nothing half-read is kept; `onLeft` runs then, so no new reader joins it.
 */
export function shareStream(source: AsyncIterable<ChatChunk>, onLeft?: () => void): SharedStream {
  const upstream = source[Symbol.asyncIterator]()
  const chunks: ChatChunk[] = []
  let ended = false
  let left = false
  let readers = 0
  let failure: { error: unknown } | undefined
  let waiting: (() => void)[] = []
  const wake = () => {
    const w = waiting
    waiting = []
    for (const resolve of w) resolve()
  }
  const done = (async () => {
    try {
      for (let next = await upstream.next(); !next.done; next = await upstream.next()) {
        if (left) return undefined // nobody reads on: nothing half-read is kept
        chunks.push(next.value)
        wake()
      }
      return assembleChunks(chunks)
    } catch (error) {
      failure = { error }
      throw error
    } finally {
      ended = true
      wake()
    }
  })()
  done.catch(() => {}) // each reader sees the failure itself
  return {
    done,
    read(signal) {
      readers++ // counted from now, so a reader that has not started yet keeps the stream going
      let i = 0
      let gone = false
      const leave = () => {
        if (gone) return
        gone = true
        signal?.removeEventListener('abort', onAbort)
        if (--readers === 0 && !ended) {
          left = true
          onLeft?.()
          void closeQuietly(upstream)
        }
      }
      // Wakes every waiting reader: this one, aborted, throws; the others wait again.
      let aborted = false
      const onAbort = () => {
        aborted = true
        leave()
        wake()
      }
      if (signal?.aborted) onAbort()
      else signal?.addEventListener('abort', onAbort, { once: true })
      // A plain iterator, not an async generator: it costs less per chunk, and a reader that
      // leaves before its first read still counts as gone.
      const reader: AsyncIterableIterator<ChatChunk> = {
        async next() {
          for (;;) {
            if (aborted) throw abortError(signal!)
            if (gone) return ENDED
            if (i < chunks.length) return { value: chunks[i++]!, done: false }
            if (ended) {
              leave()
              if (failure) throw failure.error
              return ENDED
            }
            await new Promise<void>((resolve) => waiting.push(resolve))
          }
        },
        async return() {
          leave()
          return ENDED
        },
        [Symbol.asyncIterator]: () => reader,
      }
      return reader
    },
  }
}
