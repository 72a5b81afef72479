/** Stable error codes. Apps switch on these; never rename one. */
export const ERROR_CODES = [
  'invalid_config',
  'invalid_request',
  'rate_limited',
  'budget_exceeded',
  'provider_error',
  'circuit_open',
  'timeout',
  'queue_timeout',
  'store_unavailable',
  'not_found',
  'forbidden',
  'cancelled',
  'capacity_exceeded',
] as const

export type SluiceErrorCode = (typeof ERROR_CODES)[number]
