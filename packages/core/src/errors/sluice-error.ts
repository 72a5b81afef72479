import type { SluiceErrorCode } from './codes'

// A registry-wide symbol, so `SluiceError.is` works across duplicate copies of this package.
const MARKER = Symbol.for('sluice.error')

export interface SluiceErrorOptions {
  cause?: unknown
  /** How long the caller should wait before trying again (rate limits, 429s, open circuits). */
  retryAfterMs?: number
  /** Path of the offending field for invalid_config / invalid_request, e.g. `tiers.free.limits.translate.window`. */
  path?: string
  /** HTTP status of an upstream provider response, when there was one. */
  status?: number
  /** Whether trying the same call again can succeed. */
  retryable?: boolean
  /** Provider name for provider_error / circuit_open / timeout. */
  provider?: string
  /** Extra structured facts (limit, remaining, resetAt, …). */
  details?: Record<string, unknown>
}

export class SluiceError extends Error {
  readonly [MARKER] = true
  readonly code: SluiceErrorCode
  readonly retryAfterMs: number | undefined
  readonly path: string | undefined
  readonly status: number | undefined
  readonly retryable: boolean
  readonly provider: string | undefined
  readonly details: Record<string, unknown>

  constructor(code: SluiceErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SluiceError'
    this.code = code
    this.retryAfterMs = options.retryAfterMs
    this.path = options.path
    this.status = options.status
    this.retryable = options.retryable ?? false
    this.provider = options.provider
    this.details = options.details ?? {}
  }

  /** True for any SluiceError, including one thrown by another copy of this package. */
  static is(value: unknown, code?: SluiceErrorCode): value is SluiceError {
    if (typeof value !== 'object' || value === null || !(MARKER in value)) return false
    return code === undefined || (value as SluiceError).code === code
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.path === undefined ? {} : { path: this.path }),
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
      ...(this.provider === undefined ? {} : { provider: this.provider }),
    }
  }
}

/**
 * `store_unavailable` for a port call that failed: the store's own facts (`details.reason`, such
 * as `timeout` or `memory_full`, and `port`) stay on the error, the store's error is its cause.
 */
export function storeFailed(message: string, cause: unknown): SluiceError {
  const details = SluiceError.is(cause) ? { ...cause.details } : {}
  return new SluiceError('store_unavailable', message, { cause, retryable: true, details })
}
