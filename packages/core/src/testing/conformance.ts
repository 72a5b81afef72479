import type { PortName, Store } from '../store/store'
import { breakerConformance } from './breaker-conformance'
import { cacheConformance } from './cache-conformance'
import type { ConformanceApi, ConformanceOptions } from './conformance-api'
import { uniquePrefix } from './conformance-api'
import { metricsConformance } from './metrics-conformance'
import { queueConformance } from './queue-conformance'
import { queuedErrorConformance } from './queued-errors-conformance'
import { rateLimitConformance } from './rate-limit-conformance'
import { sluiceConformance } from './sluice-conformance'
import { usageConformance } from './usage-conformance'

export type { ConformanceApi, ConformanceOptions }

/**
 * The store conformance suite: the same assertions for memoryStore() and every adapter. Each test
 * gets a fresh store under its own prefix. Runner-neutral: pass your runner's describe/it/expect.
 */
export function storeConformance(t: ConformanceApi, options: ConformanceOptions): void {
  const stores: Store[] = []
  const fresh = async (storeOptions?: { jobRetentionMs?: number }) => {
    const store = await options.makeStore(uniquePrefix(options.name), storeOptions)
    stores.push(store)
    return store
  }
  const need = <P extends PortName>(store: Store, p: P): NonNullable<Store[P]> => {
    const port = store[p]
    if (!port) throw new Error(`${options.name} has no ${p} port`)
    return port as NonNullable<Store[P]>
  }
  const wanted = (p: PortName) => options.ports?.includes(p) ?? true
  t.afterAll(async () => {
    await Promise.all(stores.map((s) => s.close?.()))
  })
  if (wanted('rateLimit')) {
    rateLimitConformance(t, options.name, async () => need(await fresh(), 'rateLimit'))
    sluiceConformance(t, options.name, fresh)
  }
  if (wanted('cache')) cacheConformance(t, options.name, async () => need(await fresh(), 'cache'))
  if (wanted('usage')) usageConformance(t, options.name, async () => need(await fresh(), 'usage'))
  if (wanted('queue'))
    queueConformance(
      t,
      options.name,
      async () => need(await fresh(), 'queue'),
      (storeOptions) => fresh(storeOptions),
    )
  if (wanted('queue') && wanted('breaker')) queuedErrorConformance(t, options.name, fresh)
  if (wanted('breaker')) breakerConformance(t, options.name, async () => need(await fresh(), 'breaker'))
  if (wanted('metrics')) metricsConformance(t, options.name, async () => need(await fresh(), 'metrics'))
}
