import { SluiceError } from '../errors/sluice-error'

/** Resolves after ms, or rejects with `cancelled` when the signal aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal))
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(abortError(signal!))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export function abortError(signal: AbortSignal): SluiceError {
  if (SluiceError.is(signal.reason)) return signal.reason
  return new SluiceError('cancelled', 'The call was cancelled', { cause: signal.reason })
}
