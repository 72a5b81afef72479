import type { LanguageModelV3CallOptions } from '@ai-sdk/provider'
import { type CallContext, SluiceError } from '@sluice/core'

/** Who is calling: per call in `providerOptions.sluice`, or from the middleware's `context`. */
export type ContextOf = (params: LanguageModelV3CallOptions) => CallContext | undefined

/** The call's context: `context(params)` when given, else `providerOptions.sluice`. */
export function callContext(params: LanguageModelV3CallOptions, context: ContextOf | undefined): CallContext {
  const given = context ? context(params) : (params.providerOptions?.sluice as CallContext | undefined)
  if (!given || typeof given !== 'object') {
    throw new SluiceError(
      'invalid_request',
      "providerOptions.sluice: say who is calling ({ userId, tier?, endpoint? }), or give the middleware a 'context'",
      { path: 'providerOptions.sluice' },
    )
  }
  return given
}
