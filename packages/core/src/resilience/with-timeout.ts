import { SluiceError } from '../errors/sluice-error'
import { abortError } from '../util/sleep'

/** Runs fn with a signal that aborts on the caller's signal or after timeoutMs (a `timeout` error). */
export async function withTimeout<T>(
  name: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw abortError(signal)
  const controller = new AbortController()
  const onAbort = () => controller.abort(signal ? abortError(signal) : undefined)
  signal?.addEventListener('abort', onAbort, { once: true })
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      fn(controller.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // Built only when it fires: an Error captures a stack, too costly for every call.
          const error = new SluiceError('timeout', `${name}: no answer in ${timeoutMs}ms`, {
            provider: name,
            retryable: true,
          })
          controller.abort(error)
          reject(error)
        }, timeoutMs)
        controller.signal.addEventListener('abort', () => reject(abortError(controller.signal)), {
          once: true,
        })
      }),
    ])
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}
