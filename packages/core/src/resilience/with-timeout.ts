import { SluiceError } from '../errors/sluice-error'
import { LazyAbort } from '../util/lazy-abort'
import { abortError } from '../util/sleep'

/**
 * Runs fn with an abort that fires on the caller's signal or after timeoutMs (a `timeout`
 * error). The returned promise settles at that moment whether or not fn listens; fn's signal is
 * made only if fn reads it.
 */
export function withTimeout<T>(
  name: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  fn: (abort: LazyAbort) => Promise<T>,
): Promise<T> {
  if (signal?.aborted) return Promise.reject(abortError(signal))
  const abort = new LazyAbort()
  return new Promise<T>((resolve, reject) => {
    const stop = (error: unknown) => {
      finish()
      abort.abort(error)
      reject(error)
    }
    const onAbort = () => stop(abortError(signal!))
    // Built only when it fires: an Error captures a stack, too costly for every call.
    const timer = setTimeout(
      () =>
        stop(
          new SluiceError('timeout', `${name}: no answer in ${timeoutMs}ms`, {
            provider: name,
            retryable: true,
          }),
        ),
      timeoutMs,
    )
    const finish = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    signal?.addEventListener('abort', onAbort)
    let running: Promise<T>
    try {
      running = fn(abort)
    } catch (error) {
      finish()
      reject(error)
      return
    }
    running.then(
      (value) => {
        finish()
        resolve(value)
      },
      (error: unknown) => {
        finish()
        reject(error)
      },
    )
  })
}
