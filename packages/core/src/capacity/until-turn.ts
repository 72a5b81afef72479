import { abortError } from '../util/sleep'
import type { Ticket } from './waiting-line'

/** Resolves true at the ticket's turn, false when `ms` pass first; rejects at the signal's abort. */
export function untilTurn(ticket: Ticket, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.reject(abortError(signal))
  return new Promise<boolean>((resolve, reject) => {
    const timer = setTimeout(() => end(() => resolve(false)), Math.max(0, ms))
    const onAbort = () => end(() => reject(abortError(signal!)))
    signal?.addEventListener('abort', onAbort, { once: true })
    ticket.turn.then(() => end(() => resolve(true)))
    let ended = false
    function end(action: () => void) {
      if (ended) return
      ended = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      action()
    }
  })
}
