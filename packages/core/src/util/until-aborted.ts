import { abortError } from './sleep'

/**
 * `work`, or — once the signal aborts, after `onAbort` — its abort as a SluiceError (its reason
 * when that is one, `cancelled` otherwise). The work itself goes on; its outcome is dropped.
 */
export function untilAborted<T>(
  work: PromiseLike<T>,
  signal: AbortSignal | undefined,
  onAbort?: () => void,
): Promise<T> {
  if (!signal) return Promise.resolve(work)
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort?.()
      reject(abortError(signal))
    }
    if (signal.aborted) return abort()
    signal.addEventListener('abort', abort, { once: true })
    Promise.resolve(work).then(
      (value) => {
        signal.removeEventListener('abort', abort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort)
        reject(error)
      },
    )
  })
}
