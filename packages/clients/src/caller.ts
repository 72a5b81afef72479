import { type CallContext, currentCallContext, SluiceError } from '@sluice/core'

/** Where a drop-in call finds its caller when the call does not say. */
export type CallerOption = CallContext | ((request: Record<string, unknown>) => CallContext | undefined)

/**
 * Per-call headers an app may set on one call (`create(body, { headers })`, LangChain's
 * `headers`): set by the app's server code, never passed on from a client's request.
 */
export const CALLER_HEADERS = {
  userId: 'x-sluice-user-id',
  tier: 'x-sluice-tier',
  endpoint: 'x-sluice-endpoint',
} as const

/**
 * The call's context: its own headers first, then the call scope (`withCallContext`, set by the
 * HTTP helpers' `context`), then `caller`. No user anywhere is an error, never an anonymous call.
 */
export function callerOf(
  headers: Headers,
  request: Record<string, unknown>,
  caller: CallerOption | undefined,
  signal: AbortSignal | undefined,
): CallContext {
  const fallback = typeof caller === 'function' ? caller(request) : caller
  const base: CallContext | undefined = currentCallContext() ?? fallback
  const own: Partial<CallContext> = {}
  for (const [field, name] of Object.entries(CALLER_HEADERS) as [keyof typeof CALLER_HEADERS, string][]) {
    const value = headers.get(name)
    if (value !== null) own[field] = value
  }
  const userId = own.userId ?? base?.userId
  if (userId === undefined) {
    throw new SluiceError(
      'invalid_request',
      `no caller for this call: run it in withCallContext({ userId }) (the HTTP helpers' context does), set ${CALLER_HEADERS.userId}, or give the wrapper a caller`,
      { path: 'userId' },
    )
  }
  const signals = [signal, base?.signal].filter((s): s is AbortSignal => s !== undefined)
  const joined = signals.length > 1 ? AbortSignal.any(signals) : signals[0]
  return { ...base, ...own, userId, ...(joined ? { signal: joined } : {}) }
}
