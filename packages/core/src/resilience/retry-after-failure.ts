import pRetry from 'p-retry'
import type { z } from 'zod'
import { SluiceError } from '../errors/sluice-error'
import { sleep } from '../util/sleep'
import type { retrySchema } from './resilience-schema'
import { isRetryable } from './retryable'

const retryAfterOf = (error: unknown) => (SluiceError.is(error) ? error.retryAfterMs : undefined)

/**
 * Retries an attempt that has failed once (`first`), with p-retry's backoff and jitter, honouring
 * a provider's Retry-After. Most calls succeed at once, so p-retry is set up only after a first
 * failure, which it sees as its own first attempt (same counting, same backoff from there on). A
 * Retry-After longer than `maxRetryAfter` is not waited for: the call fails (and falls back).
 * `onRetry` is told of each attempt that will be retried, before the wait.
 */
export function retryAfterFailure<T>(
  once: () => Promise<T>,
  first: unknown,
  o: {
    retry: z.output<typeof retrySchema>
    signal: AbortSignal | undefined
    onRetry: (error: unknown, attemptNumber: number) => void
  },
): Promise<T> {
  const worthRetrying = (error: unknown) =>
    isRetryable(error) && (retryAfterOf(error) ?? 0) <= o.retry.maxRetryAfter
  let failed: { error: unknown } | undefined = { error: first }
  return pRetry(
    () => {
      if (!failed) return once()
      const { error } = failed
      failed = undefined
      return Promise.reject(error)
    },
    {
      retries: o.retry.retries,
      factor: o.retry.factor,
      minTimeout: o.retry.minTimeout,
      maxTimeout: o.retry.maxTimeout,
      randomize: true,
      ...(o.signal ? { signal: o.signal } : {}),
      shouldRetry: ({ error }) => worthRetrying(error),
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        // p-retry calls this before shouldRetry: count and wait only for attempts that will be retried.
        if (retriesLeft === 0 || !worthRetrying(error)) return
        o.onRetry(error, attemptNumber)
        // Honour the provider's Retry-After; p-retry's own backoff follows it.
        const wait = retryAfterOf(error)
        if (wait) await sleep(wait, o.signal)
      },
    },
  )
}
