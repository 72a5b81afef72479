import type { CapacityEvents } from '../capacity/provider-capacity'
import type { ThresholdEvent } from '../cost/cost-tracker'
import { periodly } from '../cost/periods'
import { SluiceError } from '../errors/sluice-error'
import type { AgentEvents } from '../resilience/resilient-agent'

/** Any console-like logger (console, pino, winston…). Sluice logs nothing unless given one. */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void
  info?(message: string, fields?: Record<string, unknown>): void
  warn?(message: string, fields?: Record<string, unknown>): void
}

type Events = AgentEvents & CapacityEvents & { 'budget:threshold': ThresholdEvent }
type On = <E extends keyof Events>(event: E, listener: (payload: Events[E]) => void) => () => void

const describe = (error: unknown) =>
  SluiceError.is(error) ? `${error.code}: ${error.message}` : String(error)

/** Turns Sluice's events into log lines. */
export function attachLogger(on: On, log: Logger): void {
  on('breaker:open', ({ name }) => log.warn?.(`sluice: circuit for ${name} opened`, { provider: name }))
  on('key:revoked', ({ provider, key, status }) =>
    log.warn?.(`sluice: ${provider} refused ${key} (${status}); it is out of the pool`, {
      provider,
      key,
      status,
    }),
  )
  on('breaker:half-open', ({ name }) =>
    log.info?.(`sluice: circuit for ${name} half-open, probing`, { provider: name }),
  )
  on('breaker:close', ({ name }) => log.info?.(`sluice: circuit for ${name} closed`, { provider: name }))
  on('fallback', ({ from, to, error }) =>
    log.warn?.(`sluice: ${from} failed, falling back to ${to}`, { from, to, error: describe(error) }),
  )
  on('retry', ({ name, attempt, error }) =>
    log.debug?.(`sluice: retrying ${name} after attempt ${attempt}`, {
      provider: name,
      attempt,
      error: describe(error),
    }),
  )
  on('budget:threshold', (e) =>
    log.info?.(
      `sluice: ${e.userId} reached ${Math.round(e.ratio * 100)}% of the ${periodly(e.period)} budget`,
      {
        ...e,
      },
    ),
  )
}
