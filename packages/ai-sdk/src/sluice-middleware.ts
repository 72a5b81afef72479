import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Middleware,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider'
import { type Sluice, SluiceError } from '@sluice/core'
import { type CallInput, cacheInput, type Kept, keep, paramsOf, restore } from './cached-result'
import { type ContextOf, callContext } from './call-context'
import { assembler, replay } from './stream-parts'
import { untilAborted } from './until-aborted'

type Part = LanguageModelV3StreamPart
/** A stream's call is bounded by the wait for its first part, not by a timeout on its whole length. */
const LONGEST = 2_000_000_000

/** A failure after the first part: no retry, no fallback (the caller has parts already). */
const midStream = (cause: unknown) =>
  SluiceError.is(cause, 'cancelled')
    ? cause
    : new SluiceError('provider_error', 'the stream failed after it started; the answer is incomplete', {
        cause,
        details: { partial: true, requestCaused: true },
      })

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

/** A stream of the given parts, then its end. */
function partsStream(parts: Part[]): ReadableStream<Part> {
  return new ReadableStream<Part>({
    start(controller) {
      for (const part of parts) controller.enqueue(part)
      controller.close()
    },
  })
}

/** A worker's runner for queued AI SDK calls: the models tried in order, as the middleware would. */
export function aiSdkRunner(models: LanguageModelV3[]) {
  return models.map((m) => ({
    name: nameOf(m),
    run: async (input: unknown, signal: AbortSignal) =>
      keep(m.modelId, await m.doGenerate({ ...paramsOf(input as CallInput), abortSignal: signal })),
  }))
}

const nameOf = (m: LanguageModelV3) => `${m.provider}:${m.modelId}`
const joined = (a: AbortSignal, b: AbortSignal | undefined) => (b ? AbortSignal.any([a, b]) : a)

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
    return { endpoint: endpoint ?? o.endpoint ?? 'ai-sdk', ctx: { ...ctx, model: model.modelId } }
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
      let controller!: ReadableStreamDefaultController<Part>
      let live = false // parts of one of our own runs reached the caller
      let opened!: () => void
      // Settles once the caller can read: a refusal or a failure before any part rejects here,
      // where the AI SDK reports it as it would a model's own.
      const ready = new Promise<void>((resolve) => {
        opened = resolve
      })
      let cancelled = false
      let upstream: ReadableStreamDefaultReader<Part> | undefined
      const stream = new ReadableStream<Part>({
        start(c) {
          controller = c
        },
        cancel(reason) {
          cancelled = true
          return upstream?.cancel(reason)
        },
      })
      const firstPartMs = o.sluice.options.timeout
      // The whole stream is one Sluice call: limits, budget (settled at the usage of its finish
      // part), cache and coalescing (a hit, or an identical call's answer, replays as a stream),
      // retries and fallback until the first part reaches the caller, metrics to its end.
      const call = o.sluice.call<unknown, Kept>(
        endpoint,
        cacheInput(model.modelId, params),
        { ...ctx, timeout: LONGEST },
        models(model).map((m) => ({
          name: nameOf(m),
          run: async (_input, signal) => {
            const first = AbortSignal.any([signal, AbortSignal.timeout(firstPartMs)])
            const result = await untilAborted(m.doStream(params), first)
            const reader = result.stream.getReader()
            upstream = reader
            const head = await untilAborted(reader.read(), first, () => void reader.cancel().catch(() => {}))
            if (!head.done && head.value.type === 'error') throw head.value.error
            // From here the caller has parts: a failure ends its stream, never a second answer.
            live = true
            opened()
            const parts = assembler()
            try {
              for (let next = head; !next.done; next = await reader.read()) {
                if (next.value.type === 'error') throw next.value.error
                parts.add(next.value)
                controller.enqueue(next.value)
              }
            } catch (error) {
              throw midStream(error)
            }
            const assembled = parts.result()
            if (cancelled || !assembled)
              throw new SluiceError('cancelled', 'the stream was closed before its end')
            return keep(m.modelId, assembled)
          },
        })),
      )
      const settled = call.then(
        (kept) => {
          if (!live) for (const part of replay(restore(kept))) controller.enqueue(part)
          if (!cancelled) controller.close()
        },
        (error: unknown) => {
          if (!live) throw error
          // After the first part, as a model reports it: an error part, then the end.
          if (cancelled) return
          controller.enqueue({ type: 'error', error })
          controller.close()
        },
      )
      await Promise.race([ready, settled])
      return { stream }
    },
  }
}
