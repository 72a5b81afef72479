import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Middleware,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider'
import type { Sluice } from '@sluice/core'
import { cacheInput, type Kept, keep, restore } from './cached-result'
import { type ContextOf, callContext } from './call-context'

export interface SluiceMiddlewareOptions {
  sluice: Sluice
  /** Other AI SDK models to fall back to, in order, when the wrapped one fails (each with its own breaker). */
  fallbacks?: LanguageModelV3[]
  /** Who is calling; by default each call's `providerOptions.sluice` (`{ userId, tier?, endpoint? }`). */
  context?: ContextOf
  /** The endpoint (limits, cache TTL, metrics) when the context names none. */
  endpoint?: string
}

const nameOf = (m: LanguageModelV3) => `${m.provider}:${m.modelId}`
const joined = (a: AbortSignal, b: AbortSignal | undefined) => (b ? AbortSignal.any([a, b]) : a)

/** `work`, or the signal's reason once it aborts (after `onAbort`). */
function untilAborted<T>(work: PromiseLike<T>, signal: AbortSignal, onAbort?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort?.()
      reject(signal.reason)
    }
    if (signal.aborted) return abort()
    signal.addEventListener('abort', abort, { once: true })
    Promise.resolve(work).then(
      (v) => {
        signal.removeEventListener('abort', abort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', abort)
        reject(e)
      },
    )
  })
}

/**
 * A language-model middleware (`wrapLanguageModel({ model, middleware })`) that puts Sluice in
 * front of any AI SDK model. `generateText`: the caller's rate limits, budget (reserved, then
 * settled at the answer's usage), the shared cache and coalescing of identical calls, retries,
 * breakers and fallback to `fallbacks`, metrics. `streamText`: limits, budget, breakers and
 * fallback until the first part, metrics; streams are not cached or shared. Give `generateText`
 * `maxRetries: 0`: Sluice retries.
 */
export function sluiceMiddleware(o: SluiceMiddlewareOptions): LanguageModelV3Middleware {
  const models = (model: LanguageModelV3) => [model, ...(o.fallbacks ?? [])]
  const contextFor = (params: LanguageModelV3CallOptions, model: LanguageModelV3) => {
    const { endpoint, ...ctx } = callContext(params, o.context)
    return { endpoint: endpoint ?? o.endpoint ?? 'ai-sdk', ctx: { ...ctx, model: model.modelId } }
  }
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ params, model }) {
      const { endpoint, ctx } = contextFor(params, model)
      const kept = await o.sluice.call<unknown, Kept>(
        endpoint,
        cacheInput(model.modelId, params),
        ctx,
        models(model).map((m) => ({
          name: nameOf(m),
          run: async (_input, signal) =>
            keep(
              m.modelId,
              await m.doGenerate({ ...params, abortSignal: joined(signal, params.abortSignal) }),
            ),
        })),
      )
      return restore(kept)
    },
    async wrapStream({ params, model }) {
      const { endpoint, ctx } = contextFor(params, model)
      // The call ends once the stream has its first part: a failure before it retries and falls back.
      const opened = await o.sluice.call(
        endpoint,
        cacheInput(model.modelId, params),
        { ...ctx, cache: false },
        [
          ...models(model).map((m) => ({
            name: nameOf(m),
            run: async (_input: unknown, signal: AbortSignal) => {
              // The attempt's signal (its timeout) bounds the wait for the first part, not the stream.
              const result = await untilAborted(m.doStream(params), signal)
              const reader = result.stream.getReader()
              const first = await untilAborted(
                reader.read(),
                signal,
                () => void reader.cancel().catch(() => {}),
              )
              if (!first.done && first.value.type === 'error') throw first.value.error
              return { result, reader, first }
            },
          })),
        ],
      )
      const { result, reader, first } = opened
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        start(controller) {
          if (first.done) controller.close()
          else controller.enqueue(first.value)
        },
        async pull(controller) {
          const next = await reader.read()
          if (next.done) controller.close()
          else controller.enqueue(next.value)
        },
        cancel: (reason) => reader.cancel(reason),
      })
      return { ...result, stream }
    },
  }
}
