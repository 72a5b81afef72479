import { SluiceError } from '../errors/sluice-error'
import { redact } from './redact'
import { retryAfterFromHeaders } from './retry-after'

// Only what can succeed on a second try: never 400, 401, 402, 403, 404, 413, 422.
const RETRYABLE_STATUS = new Set([408, 409, 425, 429])

/** A body this large that the connection drops on was most likely refused for its size. */
export const LARGE_BODY_BYTES = 256 * 1024

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status) || status >= 500
}

async function snippet(response: Response): Promise<string> {
  try {
    const text = (await response.text()).slice(0, 16_384)
    const body = JSON.parse(text) as { error?: { message?: string } | string; message?: string }
    const m = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message)
    return typeof m === 'string' ? m : ''
  } catch {
    return '' // body was not JSON; keep the status text
  }
}

/** Builds the typed error for a non-2xx provider response; upstream text is redacted. */
export async function providerHttpError(
  provider: string,
  response: Response,
  secrets: readonly string[] = [],
): Promise<SluiceError> {
  const message = redact(
    (await snippet(response)) || response.statusText || `HTTP ${response.status}`,
    secrets,
  )
  const status = response.status
  return new SluiceError('provider_error', `${provider}: ${status} ${message}`, {
    status,
    retryable: isRetryableStatus(status),
    retryAfterMs: retryAfterFromHeaders(response.headers),
    provider,
    // 400, 413 and 422 say the request itself is wrong: no other provider will take it either.
    details: status === 400 || status === 413 || status === 422 ? { requestCaused: true } : {},
  })
}

const RESET = /ECONNRESET|EPIPE|UND_ERR_SOCKET|other side closed|socket hang up/i

function describe(cause: unknown): string {
  const parts: string[] = []
  for (let e = cause, depth = 0; e && depth < 4; depth++) {
    const err = e as { message?: unknown; code?: unknown; cause?: unknown }
    if (typeof err.message === 'string' && err.message) parts.push(err.message)
    if (typeof err.code === 'string') parts.push(err.code)
    e = err.cause
  }
  return parts.join(': ') || String(cause)
}

/**
 * Network failures (DNS, reset, refused) are retryable provider errors — except a connection
 * dropped while a large body was sent: that is the request's size, not the provider's health,
 * so it is neither retried, nor sent to a fallback, nor counted against a breaker.
 */
export function providerNetworkError(
  provider: string,
  cause: unknown,
  bodyBytes = 0,
  secrets: readonly string[] = [],
): SluiceError {
  const text = redact(describe(cause), secrets)
  if (bodyBytes >= LARGE_BODY_BYTES && RESET.test(text)) {
    return new SluiceError(
      'provider_error',
      `${provider}: the connection dropped while sending a ${Math.round(bodyBytes / 1024)} KiB request; it is probably too large`,
      { status: 413, retryable: false, provider, details: { requestCaused: true } },
    )
  }
  return new SluiceError('provider_error', `${provider}: network error: ${text}`, {
    retryable: true,
    provider,
  })
}
