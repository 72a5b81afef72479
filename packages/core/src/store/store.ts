import type { BreakerPort } from './breaker-port'
import type { CachePort } from './cache-port'
import type { MetricsPort } from './metrics-port'
import type { QueuePort } from './queue-port'
import type { RateLimitPort } from './rate-limit-port'
import type { UsagePort } from './usage-port'

export type PortName = 'rateLimit' | 'cache' | 'usage' | 'queue' | 'breaker' | 'metrics'

/**
 * A store is a bundle of small ports, one per concern, each atomic on its own backend. An adapter
 * may provide only some ports; `createSluice` keeps the missing ones in-process and says so in
 * `sluice.storeReport()`.
 */
export interface Store {
  readonly name: string
  /** True for a store in this process (memoryStore): its calls cannot hang, so they get no timeout. */
  readonly local?: boolean
  readonly rateLimit?: RateLimitPort
  readonly cache?: CachePort
  readonly usage?: UsagePort
  readonly queue?: QueuePort
  readonly breaker?: BreakerPort
  readonly metrics?: MetricsPort
  close?(): Promise<void>
}

export type FullStore = Required<Omit<Store, 'close' | 'local'>> & Pick<Store, 'close' | 'local'>
