import type { Call, Outcome } from '../chain/types'
import { SluiceError } from '../errors/sluice-error'
import { statusOf } from '../resilience/retryable'
import type { AttemptCapacity } from '../resilience/targets'
import type { AttributeValue, OtelApiLike, SpanLike, TracerLike } from './otel-like'

/** Attributes of the request, in the GenAI semantic conventions where they exist. */
export function requestAttributes(call: Call): Record<string, AttributeValue> {
  const a: Record<string, AttributeValue> = {
    'gen_ai.operation.name': call.request ? 'chat' : call.endpoint,
    'sluice.endpoint': call.endpoint,
    'sluice.stream': call.stream === true,
  }
  const model = call.request?.model ?? call.pricing?.model
  if (model) a['gen_ai.request.model'] = model
  if (call.tier !== undefined) a['sluice.user.tier'] = call.tier
  const r = call.request as { max_tokens?: unknown; temperature?: unknown } | undefined
  if (typeof r?.max_tokens === 'number') a['gen_ai.request.max_tokens'] = r.max_tokens
  if (typeof r?.temperature === 'number') a['gen_ai.request.temperature'] = r.temperature
  return a
}

/** What the call came to: usage, provider, Sluice's own flags and cost, and its outcome. */
export function endCallSpan(
  span: SpanLike,
  call: Call,
  api: OtelApiLike,
  ended: Outcome | { error: unknown },
): void {
  const m = call.meta
  const set = (k: string, v: AttributeValue | null | undefined) => {
    if (v !== undefined && v !== null) span.setAttribute(k, v)
  }
  set('gen_ai.provider.name', m.provider)
  set('sluice.cached', m.cached)
  set('sluice.coalesced', m.coalesced)
  set('sluice.batched', m.batched)
  set('sluice.batch.size', m.batchSize)
  set('sluice.queued_ms', m.queuedMs)
  set('sluice.capacity_wait_ms', m.capacityWaitMs)
  set('sluice.cost_usd', m.costUsd)
  set('sluice.attempts', m.attempts)
  set('sluice.retries', m.retries)
  set('sluice.fallbacks', m.fallbacks)
  if (m.continued) {
    set('sluice.stream.continued', m.continued.length)
    set('sluice.stream.continued_on', m.continued.map((c) => c.provider).join(','))
    set('sluice.stream.continued_after_chars', m.continued[0]!.afterChars)
  }
  if ('error' in ended) {
    const code = SluiceError.is(ended.error) ? ended.error.code : 'internal'
    set('sluice.outcome', code)
    set('error.type', code)
    span.recordException(ended.error)
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: code })
  } else {
    set('sluice.outcome', 'ok')
    set('gen_ai.response.model', ended.model)
    set('gen_ai.usage.input_tokens', ended.usage?.prompt_tokens)
    set('gen_ai.usage.output_tokens', ended.usage?.completion_tokens)
  }
  span.end()
}

/**
 * A child span per upstream attempt (kind CLIENT), started when the attempt fires and ended with
 * its outcome (the HTTP status of a failure: a 429 is the provider saying it is full); `parent`
 * is the call's span. Under provider capacity it says how long the attempt waited for it, with
 * which pool key, and what the provider said is left.
 */
export function attemptSpans(tracer: TracerLike, api: OtelApiLike, parent: SpanLike, call: Call) {
  const ctx = api.trace.setSpan(api.context.active(), parent)
  let n = 0
  return (provider: string, capacity?: AttemptCapacity) => {
    const model = call.request?.model
    const span = tracer.startSpan(
      model ? `chat ${model}` : `${call.endpoint} ${provider}`,
      {
        kind: api.SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': call.request ? 'chat' : call.endpoint,
          'gen_ai.provider.name': provider,
          'sluice.attempt': ++n,
          ...(model ? { 'gen_ai.request.model': model } : {}),
          ...(capacity ? { 'sluice.capacity.wait_ms': capacity.waitMs } : {}),
          ...(capacity?.key !== undefined ? { 'sluice.capacity.key': capacity.key } : {}),
        },
      },
      ctx,
    )
    return (error?: unknown) => {
      if (capacity?.remainingRequests !== undefined)
        span.setAttribute('sluice.capacity.remaining_requests', capacity.remainingRequests)
      if (capacity?.remainingTokens !== undefined)
        span.setAttribute('sluice.capacity.remaining_tokens', capacity.remainingTokens)
      if (error !== undefined) {
        const status = statusOf(error)
        if (status !== undefined) span.setAttribute('http.response.status_code', status)
        const code = SluiceError.is(error) ? error.code : 'internal'
        span.setAttribute('error.type', code)
        span.recordException(error)
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: code })
      }
      span.end()
    }
  }
}
