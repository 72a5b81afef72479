import { describe, expect, it } from 'vitest'
import { SluiceError } from '../../errors/sluice-error'
import { memoryStore } from '../../memory/memory-store'
import { breakerSchema } from '../resilience-schema'
import { TargetCircuit } from './circuit'

const down = () =>
  Promise.reject(new SluiceError('provider_error', 'p: 500', { status: 500, retryable: true }))

describe('TargetCircuit', () => {
  it('opens from its own count, tells the fleet, and serialises what it is', async () => {
    const port = memoryStore().breaker
    const changes: string[] = []
    const make = () =>
      new TargetCircuit('p', {
        breaker: breakerSchema.parse({ failureThreshold: 2, resetTimeout: '60s' }),
        port,
        key: 'breaker:p',
        probeLeaseMs: 1_000,
        now: Date.now,
        changed: (name, state) => changes.push(`${name}:${state}`),
      })
    const [a, b] = [make(), make()]
    expect(a.toJSON()).toEqual({ name: 'p', state: 'closed', retryAfterMs: 0 })
    for (let i = 0; i < 2; i++) await a.execute(await a.admit(), down).catch(() => {})
    expect(await a.admit()).toBe('open') // its own count opened it, and the store says so
    expect(await b.admit()).toBe('open') // another instance, never failed itself, obeys
    const snapshot = JSON.parse(JSON.stringify(b))
    expect(snapshot).toMatchObject({ name: 'p', state: 'open' })
    expect(snapshot.retryAfterMs).toBeGreaterThan(59_000)
    const refused = await b.execute('open', async () => 'sent').catch((e: unknown) => e)
    expect(refused).toMatchObject({ code: 'circuit_open', provider: 'p' })
    expect(changes).toContain('p:open')
    a.local.shutdown()
    b.local.shutdown()
  })

  it('a store that cannot answer leaves the decision to the local count', async () => {
    const port = {
      get: () => Promise.reject(new Error('down')),
      compareAndSet: () => Promise.reject(new Error('down')),
    }
    const c = new TargetCircuit('q', {
      breaker: breakerSchema.parse({ failureThreshold: 1 }),
      port,
      key: 'breaker:q',
      probeLeaseMs: 1_000,
      now: Date.now,
      changed: () => {},
    })
    expect(await c.admit()).toBe('closed')
    await c.execute('closed', down).catch(() => {})
    expect(await c.admit()).toBe('open')
    expect(c.toJSON().state).toBe('open')
    c.local.shutdown()
  })
})
