import { describe, expect, it } from 'vitest'
import { memoryStore } from '../memory/memory-store'
import { Monitor } from './monitor'

describe('Monitor', () => {
  it('counts active users, requests, errors and latency percentiles', async () => {
    const store = memoryStore()
    const monitor = new Monitor({ metrics: store.metrics, breakers: () => ({ deepseek: 'open' }) })
    for (let i = 0; i < 100; i++) {
      monitor.begin(`u${i % 10}`)
      monitor.end(i + 1, i % 20 === 0 ? 'rate_limited' : undefined)
    }
    const stats = await monitor.stats()
    expect(stats).toMatchObject({
      activeUsers: 10,
      requestsTotal: 100,
      errorsByCode: { rate_limited: 5 },
      breakers: { deepseek: 'open' },
    })
    expect(stats.latencyMs).toEqual({ p50: 50, p95: 95, p99: 99 })
    expect(stats.errorRate).toBeCloseTo(0.05)
    const text = await monitor.prometheus()
    expect(text).toContain('sluice_active_users 10')
    expect(text).toContain('sluice_errors_total{code="rate_limited"} 5')
    expect(text).toContain('sluice_breaker_open{provider="deepseek"} 1')
    expect(text).toContain('# TYPE sluice_requests_total counter')
  })

  it('adds up across instances that share a store', async () => {
    const store = memoryStore()
    const a = new Monitor({ metrics: store.metrics })
    const b = new Monitor({ metrics: store.metrics })
    a.begin('x')
    b.begin('y')
    b.begin('x')
    await b.flush() // writes leave the response path; a fleet's numbers add up after each flush
    expect(await a.stats()).toMatchObject({ activeUsers: 2, requestsTotal: 3 })
    expect(await b.stats()).toMatchObject({ activeUsers: 2, requestsTotal: 3 })
  })

  it('writes leave the response path: one store call per flush, and a failed flush is dropped and counted', async () => {
    const store = memoryStore()
    let writes = 0
    let down = false
    const metrics = {
      ...store.metrics,
      write: async (batch: Parameters<typeof store.metrics.write>[0]) => {
        writes++
        if (down) throw new Error('store down')
        return store.metrics.write(batch)
      },
    }
    const monitor = new Monitor({ metrics })
    for (let i = 0; i < 500; i++) monitor.begin(`u${i % 7}`)
    expect(writes).toBe(0)
    await monitor.flush()
    expect(writes).toBe(1)
    down = true
    monitor.begin('lost')
    monitor.end(1, 'timeout')
    await monitor.flush()
    down = false
    const stats = await monitor.stats()
    expect(stats.requestsTotal).toBe(500)
    expect(stats.metricsDropped).toBeGreaterThan(0)
    await monitor.close()
  })
})
