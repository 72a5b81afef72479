import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3StreamPart } from '@ai-sdk/provider'
import { type CallContext, type Sluice, SluiceError } from '@sluice/core'
import { joinSignals, untilAborted } from '@sluice/core/adapter'
import { type Kept, keep, restore } from './cached-result'
import { continuation, SentText } from './continue-parts'
import { nameOf } from './runner'
import { assembler, replay } from './stream-parts'

type Part = LanguageModelV3StreamPart
/** A stream's call is bounded by the wait for its first part, not by a timeout on its whole length. */
const LONGEST = 2_000_000_000

/** A failure after the first part: no retry, no fallback (the caller has parts already). */
const midStream = (cause: unknown) =>
  SluiceError.is(cause, 'cancelled')
    ? cause
    : new SluiceError('provider_error', 'the stream failed after it started; the answer is incomplete', {
        cause,
        details: { partial: true },
      })

/**
 * The signal a model's stream runs under: the attempt's, the caller's and, until its first part
 * (`started()`), a timeout. `done()` unhooks it from the first two once the stream is over.
 */
function streamSignal(attempt: AbortSignal, caller: AbortSignal | undefined, name: string, ms: number) {
  const clock = new AbortController()
  const timer = setTimeout(
    () =>
      clock.abort(
        new SluiceError('timeout', `${name}: no first part in ${ms}ms`, { provider: name, retryable: true }),
      ),
    ms,
  )
  const joined = joinSignals([attempt, caller, clock.signal])
  return {
    signal: joined.signal,
    started: () => clearTimeout(timer),
    done: () => {
      clearTimeout(timer)
      joined.release()
    },
  }
}

/**
 * A stream as one Sluice call: limits, budget (settled at the usage of its finish part), cache
 * and coalescing (a hit, or an identical call's answer, replays as a stream), retries and fallback
 * until the first part reaches the caller, metrics to its end. Resolves once the caller can read;
 * a refusal or a failure before any part rejects.
 */
export async function liveStream(
  sluice: Sluice,
  endpoint: string,
  ctx: Omit<CallContext, 'endpoint'>,
  input: unknown,
  models: LanguageModelV3[],
  params: LanguageModelV3CallOptions,
): Promise<{ stream: ReadableStream<Part> }> {
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
  const firstPartMs = sluice.options.timeout
  const policy = sluice.options.streams
  const own = Object.hasOwn(policy.endpoints, endpoint) ? policy.endpoints[endpoint]!.continue : undefined
  const continuations = (ctx.continueStream ?? own ?? policy.continue) ? policy.maxContinuations : 0
  // The whole stream is one Sluice call: limits, budget (settled at the usage of its finish
  // part), cache and coalescing (a hit, or an identical call's answer, replays as a stream),
  // retries and fallback until the first part reaches the caller, metrics to its end.
  const call = sluice.call<unknown, Kept>(
    endpoint,
    input,
    { ...ctx, timeout: LONGEST },
    models.map((m, index) => ({
      name: nameOf(m),
      run: async (_input, signal) => {
        // The model's request runs under it too: a first part that never comes aborts the request.
        const run = streamSignal(signal, params.abortSignal, nameOf(m), firstPartMs)
        const parts = assembler()
        try {
          const result = await untilAborted(m.doStream({ ...params, abortSignal: run.signal }), run.signal)
          const reader = result.stream.getReader()
          upstream = reader
          const head = await untilAborted(
            reader.read(),
            run.signal,
            () => void reader.cancel().catch(() => {}),
          )
          run.started()
          if (!head.done && head.value.type === 'error') throw head.value.error
          // From here the caller has parts: a failure ends its stream, never a second answer.
          live = true
          opened()
          const sent = new SentText()
          const pass = async (
            from: ReadableStreamDefaultReader<Part>,
            first?: ReadableStreamReadResult<Part>,
          ) => {
            for (let next = first ?? (await from.read()); !next.done; next = await from.read()) {
              if (next.value.type === 'error') throw next.value.error
              sent.see(next.value)
              parts.add(next.value)
              controller.enqueue(next.value)
            }
          }
          try {
            await pass(reader, head)
          } catch (error) {
            // Plain text cut mid-way goes on with the next model, from the text already sent.
            let failure: unknown = error
            const next = models.slice(index + 1, index + 1 + continuations)
            for (const other of next) {
              if (!sent.continuable || cancelled || run.signal.aborted) break
              try {
                upstream = await continuation(other, params, sent, run.signal)
                await pass(upstream)
                failure = undefined
                break
              } catch (again) {
                failure = again
              }
            }
            if (failure !== undefined) throw midStream(failure)
          }
        } finally {
          run.done()
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
}
