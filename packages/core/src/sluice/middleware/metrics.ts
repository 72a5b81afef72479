import { observeStream } from '../../chain/observe-stream'
import { isStreamOutcome, named } from '../../chain/types'
import { SluiceError } from '../../errors/sluice-error'
import type { Monitor } from '../../monitor/monitor'

const codeOf = (error: unknown) => (SluiceError.is(error) ? error.code : 'internal')

/**
 * Counts the request and the active user; records latency and the error code of failures. A
 * stream is counted once, when it ends (its latency runs to the last chunk), fails or is left.
 */
export function metricsMiddleware(monitor: Monitor) {
  return named('metrics', async (call, next) => {
    const started = performance.now()
    monitor.begin(call.userId)
    let outcome: Awaited<ReturnType<typeof next>>
    try {
      outcome = await next()
    } catch (error) {
      monitor.end(performance.now() - started, codeOf(error))
      throw error
    }
    if (!isStreamOutcome(outcome)) {
      call.meta.latencyMs = performance.now() - started
      monitor.end(call.meta.latencyMs)
      return outcome
    }
    return observeStream(outcome, {
      onEnd: () => {
        call.meta.latencyMs = performance.now() - started
        monitor.end(call.meta.latencyMs)
      },
      onError: (error) => monitor.end(performance.now() - started, codeOf(error)),
    })
  })
}
