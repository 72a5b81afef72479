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
}

export interface HttpError {
  status: number
  headers: Record<string, string>
  body: { error: Record<string, unknown> }
}

/** Maps any error to an HTTP answer; unknown errors become a 500 without leaking their message. */
export function toHttp(error: unknown): HttpError {
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
  const body =
    error.code === 'invalid_config' ? { code: 'internal', message: 'Internal error' } : error.toJSON()
  return { status: STATUS[error.code], headers, body: { error: body } }
}
