import type { SluiceErrorCode } from './codes'
import { SluiceError } from './sluice-error'

const STATUS: Record<SluiceErrorCode, number> = {
  invalid_config: 500,
  invalid_request: 400,
  rate_limited: 429,
  budget_exceeded: 402,
  provider_error: 502,
  circuit_open: 503,
  timeout: 504,
  queue_timeout: 504,
  store_unavailable: 503,
  not_found: 404,
  forbidden: 403,
  cancelled: 499,
  // The app's provider quota is full: not the end user's fault, so not a 429.
  capacity_exceeded: 503,
}

// What the end user reads when the failure happened upstream: never the provider's own text.
const UPSTREAM: Partial<Record<SluiceErrorCode, string>> = {
  provider_error: 'The AI provider could not answer; try again later.',
  circuit_open: 'The AI provider is unavailable; try again later.',
  timeout: 'The AI provider took too long to answer; try again later.',
  store_unavailable: 'The service is busy; try again later.',
  capacity_exceeded: 'The AI provider is at capacity; try again later.',
}

export interface HttpError {
  status: number
  headers: Record<string, string>
  body: { error: Record<string, unknown> }
}

export interface ToHttpOptions {
  /** Put Sluice's own message (upstream text already redacted) in the body; off by default. */
  expose?: boolean
}

function statusOf(error: SluiceError): number {
  if (error.code === 'invalid_request' && error.status === 413) return 413
  if (error.code !== 'provider_error') return STATUS[error.code]
  // A provider's 429 or 503 is the app's upstream capacity, not the end user's fault: 503 + Retry-After.
  if (error.status === 429 || error.status === 503) return 503
  if (error.details.requestCaused === true) return error.status === 413 ? 413 : 400
  return 502
}

/** Maps any error to an HTTP answer; unknown errors become a 500 without leaking their message. */
export function toHttp(error: unknown, options: ToHttpOptions = {}): HttpError {
  if (!SluiceError.is(error)) {
    return { status: 500, headers: {}, body: { error: { code: 'internal', message: 'Internal error' } } }
  }
  const headers: Record<string, string> = {}
  if (error.retryAfterMs !== undefined && Number.isFinite(error.retryAfterMs)) {
    headers['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)))
  }
  const { limit, remaining, resetAt } = error.details
  if (typeof limit === 'number') headers['X-RateLimit-Limit'] = String(limit)
  if (typeof remaining === 'number') headers['X-RateLimit-Remaining'] = String(remaining)
  if (typeof resetAt === 'number') headers['X-RateLimit-Reset'] = String(Math.ceil(resetAt / 1000))
  // A config error is the operator's problem: the client gets a generic message.
  if (error.code === 'invalid_config') {
    return { status: 500, headers, body: { error: { code: 'internal', message: 'Internal error' } } }
  }
  const status = statusOf(error)
  const generic = UPSTREAM[error.code]
  const body =
    generic && !options.expose
      ? {
          code: error.code,
          message: status === 413 ? 'The request is too large.' : generic,
          ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
        }
      : error.toJSON()
  return { status, headers, body: { error: body } }
}
