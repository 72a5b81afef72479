import { type Call, isStreamOutcome, named, type Outcome } from '../../chain/types'
import { SluiceError } from '../../errors/sluice-error'
import type { Monitor } from '../../monitor/monitor'
import type { Usage } from '../../providers/types'
import { observeStream } from '../../stream/observe-stream'
import { closeQuietly } from '../../stream/stream-chunks'
import { abortError } from '../../util/sleep'
import { untilAborted } from '../../util/until-aborted'

/** USD for a model's usage (undefined when it has no price or there is no usage). */
export type Pricing = (model: string | undefined, usage: Usage | undefined) => number | undefined

function dropLate(running: Promise<Outcome>): void {
  running.then(
    (o) => {
      if (isStreamOutcome(o)) void closeQuietly(o.stream[Symbol.asyncIterator]())
    },
    () => {},
  )
}

const codeOf = (error: unknown) => (SluiceError.is(error) ? error.code : 'internal')

/**
 * Counts the request and the active user; records latency and the error code of failures. A
 * stream is counted once, when it ends (its latency runs to the last chunk), fails or is left.
 * An answer from the cache or from an identical call in flight counts as a call saved, priced
 * as the answer's usage would have cost.
 */
export function metricsMiddleware(monitor: Monitor, price: Pricing) {
  /** A call (or a stream, at its end) that answered: its latency, its wait, what it saved. */
  const answered = (call: Call, started: number, o: Outcome) => {
    call.meta.latencyMs = performance.now() - started
    monitor.end(call.meta.latencyMs)
    if (call.steps.handedOff) monitor.queued(call.meta.queuedMs)
    const by = call.meta.cached ? 'cache' : call.meta.coalesced ? 'coalesce' : undefined
    if (by) monitor.saved(by, 1, price(o.model ?? call.request?.model, o.usage) ?? 0)
  }
  return named('metrics', async (call, next) => {
    // Cancelled before it began: nothing runs, nothing is counted, no limit or budget is touched.
    if (call.signal?.aborted) throw abortError(call.signal)
    const started = performance.now()
    monitor.begin(call.userId)
    let outcome: Awaited<ReturnType<typeof next>>
    try {
      // The caller's abort ends the call for it at once, wherever the chain is (a slow store…);
      // what the chain still returns is dropped, a stream closed unread.
      const running = next()
      outcome = call.signal
        ? await untilAborted(running, call.signal, () => dropLate(running))
        : await running
    } catch (error) {
      monitor.end(performance.now() - started, codeOf(error))
      throw error
    }
    if (!isStreamOutcome(outcome)) {
      answered(call, started, outcome)
      return outcome
    }
    return observeStream(outcome, {
      onEnd: (ended) => answered(call, started, ended),
      onError: (error) => monitor.end(performance.now() - started, codeOf(error)),
    })
  })
}
