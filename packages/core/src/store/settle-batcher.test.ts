import { describe, expect, it } from 'vitest'
import { type Settle, settleBatcher } from './settle-batcher'

const settle = (id: string): Settle => ({ id, token: 't', outcome: 'completed', text: 'null', retryInMs: 0 })

describe('settleBatcher', () => {
  it('sends what one tick asks for as one batch, gathers what comes while batches travel, answers each its own', async () => {
    const batches: string[][] = []
    let release!: () => void
    let gate = new Promise<void>((r) => {
      release = r
    })
    const send = settleBatcher(async (batch) => {
      batches.push(batch.map((b) => b.id))
      await gate
      return batch.map((b) => b.id.endsWith('ok'))
    })
    const tick = () => new Promise((r) => setImmediate(r))
    const first = [send(settle('a-ok')), send(settle('b-no'))] // asked together: one batch
    await tick()
    expect(batches).toEqual([['a-ok', 'b-no']])
    const second = send(settle('c-ok')) // a second batch travels while the first does
    await tick()
    expect(batches).toEqual([['a-ok', 'b-no'], ['c-ok']])
    const rest = Array.from({ length: 10 }, (_, i) => send(settle(`d${i}-${i % 2 ? 'ok' : 'no'}`)))
    await tick()
    expect(batches).toHaveLength(2) // two in flight: the rest wait for one of them
    const opened = release
    gate = Promise.resolve()
    opened()
    expect(await Promise.all(first)).toEqual([true, false])
    expect(await second).toBe(true)
    expect(await Promise.all(rest)).toEqual(Array.from({ length: 10 }, (_, i) => i % 2 === 1))
    expect(batches.slice(2).flat()).toEqual(
      Array.from({ length: 10 }, (_, i) => `d${i}-${i % 2 ? 'ok' : 'no'}`),
    )
    expect(batches.length).toBeLessThanOrEqual(4) // the ten went as one or two batches, not ten
  })

  it('a failed batch rejects its own settles only; the next batch still goes', async () => {
    let calls = 0
    const send = settleBatcher(async (batch) => {
      calls++
      if (calls === 1) throw new Error('store down')
      return batch.map(() => true)
    })
    const failed = send(settle('x'))
    await expect(failed).rejects.toThrow('store down')
    expect(await send(settle('y'))).toBe(true)
  })
})
