import { SluiceError } from '../errors/sluice-error'
import { retryAfterFromHeaders } from './retry-after'

// Only what can succeed on a second try: never 400, 401, 402, 403, 404, 422.
const RETRYABLE_STATUS = new Set([408, 409, 425, 429])

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status) || status >= 500
}

/** Builds the typed error for a non-2xx provider response. */
export async function providerHttpError(provider: string, response: Response): Promise<SluiceError> {
  let message = response.statusText || `HTTP ${response.status}`
  try {
    const body = (await response.json()) as { error?: { message?: string } | string }
    const m = typeof body.error === 'string' ? body.error : body.error?.message
    if (m) message = m
  } catch {
    // body was not JSON; keep the status text
  }
  return new SluiceError('provider_error', `${provider}: ${response.status} ${message}`, {
    status: response.status,
    retryable: isRetryableStatus(response.status),
    retryAfterMs: retryAfterFromHeaders(response.headers),
    provider,
  })
}

/** Network failures (DNS, reset, refused) are retryable provider errors. */
export function providerNetworkError(provider: string, cause: unknown): SluiceError {
  const message = cause instanceof Error ? cause.message : String(cause)
  return new SluiceError('provider_error', `${provider}: network error: ${message}`, {
    retryable: true,
    provider,
    cause,
  })
}
