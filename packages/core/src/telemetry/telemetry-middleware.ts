import { isStreamOutcome, named } from '../chain/types'
import { observeStream } from '../stream/observe-stream'
import { attemptSpans, endCallSpan, requestAttributes } from './call-span'
import type { OtelApiLike } from './otel-like'

/**
 * One span per call (a stream's until its last chunk), child spans for its upstream attempts
 * (the resilient step starts them through `call.steps.onAttempt`), attributes in the GenAI
 * semantic conventions plus Sluice's own. The span is a child of whatever span is active.
 */
export function telemetryMiddleware(api: OtelApiLike) {
  const tracer = api.trace.getTracer('sluice')
  return named('telemetry', async (call, next) => {
    const model = call.request?.model ?? call.pricing?.model
    const span = tracer.startSpan(
      `sluice ${call.request ? 'chat' : call.endpoint}${model ? ` ${model}` : ''}`,
      {
        kind: api.SpanKind.INTERNAL,
        attributes: requestAttributes(call),
      },
    )
    call.steps.onAttempt = attemptSpans(tracer, api, span, call)
    let outcome: Awaited<ReturnType<typeof next>>
    try {
      outcome = await next()
    } catch (error) {
      endCallSpan(span, call, api, { error })
      throw error
    }
    if (!isStreamOutcome(outcome)) {
      endCallSpan(span, call, api, outcome)
      return outcome
    }
    return observeStream(outcome, {
      onEnd: (ended) => endCallSpan(span, call, api, ended),
      onError: (error) => endCallSpan(span, call, api, { error }),
    })
  })
}
