import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3Middleware } from '@ai-sdk/provider'
import type { Sluice } from '@sluice/core'
import { joinSignals } from '@sluice/core/adapter'
import { cacheInput, type Kept, keep, restore } from './cached-result'
import { type ContextOf, callContext } from './call-context'
import { liveStream } from './live-stream'
import { aiSdkRunner, nameOf, partsStream } from './runner'
import { replay } from './stream-parts'

export interface SluiceMiddlewareOptions {
  sluice: Sluice
  /** Other AI SDK models to fall back to, in order, when the wrapped one fails (each with its own breaker). */
  fallbacks?: LanguageModelV3[]
  /** Who is calling; by default each call's `providerOptions.sluice` (`{ userId, tier?, endpoint? }`). */
  context?: ContextOf
  /** The endpoint (limits, cache TTL, metrics) when the context names none. */
  endpoint?: string
  /**
   * With `queue` on the Sluice: calls go through the durable queue and run on a worker whose
   * Sluice has this runner (`runners: { [name]: aiSdkRunner([model, …fallbacks]) }`). A queued
   * `streamText` is answered whole by the worker and replays as a stream.
   */
  runner?: string
}

/**
 * A language-model middleware (`wrapLanguageModel({ model, middleware })`) that puts Sluice in
 * front of any AI SDK model. `generateText`: the caller's rate limits, budget (reserved, then
 * settled at the answer's usage), the shared cache and coalescing of identical calls, retries,
 * breakers and fallback to `fallbacks`, metrics. `streamText` the same: a cached answer (from a
 * stream or a generate) replays as a stream, a streamed answer is cached once its finish part has
 * come, and retries and fallback stop once a part has reached the caller. Give the AI SDK
 * `maxRetries: 0`: Sluice retries.
 */
export function sluiceMiddleware(o: SluiceMiddlewareOptions): LanguageModelV3Middleware {
  const models = (model: LanguageModelV3) => [model, ...(o.fallbacks ?? [])]
  const contextFor = (params: LanguageModelV3CallOptions, model: LanguageModelV3) => {
    const { endpoint, ...ctx } = callContext(params, o.context)
    // The AI SDK caller's abortSignal is the call's: Sluice's own waits (a queue, an identical
    // call in flight, a batch, a slow store) end at it too, not only the model's request.
    const signal = ctx.signal ?? params.abortSignal
    return {
      endpoint: endpoint ?? o.endpoint ?? 'ai-sdk',
      ctx: { ...ctx, model: model.modelId, ...(signal ? { signal } : {}) },
    }
  }
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ params, model }) {
      const { endpoint, ctx } = contextFor(params, model)
      const kept = await o.sluice.call<unknown, Kept>(
        endpoint,
        cacheInput(model.modelId, params),
        o.runner !== undefined ? { ...ctx, runner: o.runner } : ctx,
        models(model).map((m) => ({
          name: nameOf(m),
          run: async (_input, signal) => {
            const joined = joinSignals([signal, params.abortSignal])
            try {
              return keep(m.modelId, await m.doGenerate({ ...params, abortSignal: joined.signal }))
            } finally {
              joined.release()
            }
          },
        })),
      )
      return restore(kept)
    },
    async wrapStream({ params, model }) {
      const { endpoint, ctx } = contextFor(params, model)
      if (o.runner !== undefined) {
        // Through the queue a stream cannot be live: the worker answers it whole (it may run
        // later, on another process) and the answer replays as a stream.
        const kept = await o.sluice.call<unknown, Kept>(
          endpoint,
          cacheInput(model.modelId, params),
          { ...ctx, runner: o.runner },
          aiSdkRunner(models(model)),
        )
        return { stream: partsStream(replay(restore(kept))) }
      }
      return liveStream(
        o.sluice,
        endpoint,
        { ...ctx },
        cacheInput(model.modelId, params),
        models(model),
        params,
      )
    },
  }
}
