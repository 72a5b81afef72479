import { SluiceError } from '../errors/sluice-error'
import { isRetryableStatus } from '../providers/provider-error'

/** The HTTP status an error carries (`status` or `statusCode`), if any. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const e = error as { status?: unknown; statusCode?: unknown }
  const s = e.status ?? e.statusCode
  return typeof s === 'number' ? s : undefined
}

/** Whether a second try of the same call can succeed. Unknown errors (network faults) are retried. */
export function isRetryable(error: unknown): boolean {
  if (SluiceError.is(error)) return error.retryable
  const status = statusOf(error)
  return status === undefined ? true : isRetryableStatus(status)
}

/** A failure the request itself caused (400, 413, 422, a large body dropped): no provider will take it. */
export function isRequestCaused(error: unknown): boolean {
  if (SluiceError.is(error) && (error.code === 'invalid_request' || error.details.requestCaused === true))
    return true
  const status = statusOf(error)
  return status === 400 || status === 413 || status === 422
}

/**
 * Whether another provider may succeed where this one failed: not when the request itself is bad,
 * nor when an answer already reached the caller in part (`details.partial`: a second one would
 * follow the first).
 */
export function canFallBack(error: unknown): boolean {
  if (SluiceError.is(error, 'cancelled')) return false
  if (SluiceError.is(error) && error.details.partial === true) return false
  return !isRequestCaused(error)
}

/** A refusal for capacity (a provider's 429, or no capacity within the wait): the provider is full, not failing. */
export function isCapacityRefusal(error: unknown): boolean {
  return SluiceError.is(error, 'capacity_exceeded') || statusOf(error) === 429
}

/**
 * Whether a failure says something about the provider's health (and counts toward its circuit):
 * not a request-caused one (400, 401, 413…), nor a capacity refusal (a 429: it is full, not down).
 */
export function isProviderFailure(error: unknown): boolean {
  return isRetryable(error) && !isCapacityRefusal(error)
}
