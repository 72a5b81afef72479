import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ClaimedJob } from '../store/queue-port'
import { holdLeases } from './lease-hold'

const job = (id: string): ClaimedJob => ({
  id,
  type: 't',
  userId: 'u',
  data: 'null',
  status: 'active',
  attempts: 1,
  maxRetries: 0,
  backoffMs: 0,
  score: 0,
  leaseToken: `token-${id}`,
})

describe('holdLeases (one renewal interval and one lapse timer per claimed unit)', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('renews every job of a batch; a job another worker took is aborted alone', async () => {
    const renewed: string[] = []
    const port = {
      extendLease: async (id: string, token: string) => {
        renewed.push(id)
        return id !== 'b' && token === `token-${id}`
      },
    }
    const held = holdLeases(port, [job('a'), job('b'), job('c')], Date.now(), 900, Date.now)
    await vi.advanceTimersByTimeAsync(300) // a third of the lease
    expect(renewed).toEqual(['a', 'b', 'c'])
    expect(held.map((h) => h.abort.aborted)).toEqual([false, true, false])
    // Renewed: past the first deadline the others still hold their leases.
    await vi.advanceTimersByTimeAsync(2_000)
    expect(held.map((h) => h.abort.aborted)).toEqual([false, true, false])
    expect(renewed.filter((id) => id === 'b')).toEqual(['b']) // an aborted job is not renewed again
    for (const h of held) h.release()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('with the store down, every job of the batch is aborted at its deadline, not later', async () => {
    const port = {
      extendLease: async () => {
        throw new Error('store unreachable')
      },
    }
    const held = holdLeases(port, [job('a'), job('b')], Date.now(), 900, Date.now)
    const signal = held[0]!.abort.signal
    await vi.advanceTimersByTimeAsync(899)
    expect(held.map((h) => h.abort.aborted)).toEqual([false, false])
    await vi.advanceTimersByTimeAsync(1)
    expect(held.map((h) => h.abort.aborted)).toEqual([true, true])
    expect(signal.aborted).toBe(true) // a signal read before the abort hears it
    expect(held[1]!.abort.signal.aborted).toBe(true) // and one read after starts aborted
    for (const h of held) h.release()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a job released early stops being renewed; the others go on', async () => {
    const renewed: string[] = []
    const port = {
      extendLease: async (id: string) => {
        renewed.push(id)
        return true
      },
    }
    const held = holdLeases(port, [job('a'), job('b')], Date.now(), 900, Date.now)
    held[0]!.release()
    held[0]!.release() // twice is once
    await vi.advanceTimersByTimeAsync(300)
    expect(renewed).toEqual(['b'])
    expect(vi.getTimerCount()).toBe(2)
    held[1]!.release()
    expect(vi.getTimerCount()).toBe(0)
  })
})
