import { named } from '../../chain/types'
import { SluiceError } from '../../errors/sluice-error'
import type { Monitor } from '../../monitor/monitor'

/** Counts the request and the active user; records latency and the error code of failures. */
export function metricsMiddleware(monitor: Monitor) {
  return named('metrics', async (call, next) => {
    const started = performance.now()
    monitor.begin(call.userId)
    try {
      const outcome = await next()
      call.meta.latencyMs = performance.now() - started
      monitor.end(call.meta.latencyMs)
      return outcome
    } catch (error) {
      monitor.end(performance.now() - started, SluiceError.is(error) ? error.code : 'internal')
      throw error
    }
  })
}
