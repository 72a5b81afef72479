import { describe, expect, it } from 'vitest'
import { type Settle, settleBatcher } from './settle-batcher'

const settle = (id: string): Settle => ({ id, token: 't', outcome: 'completed', text: 'null', retryInMs: 0 })

describe('settleBatcher', () => {
  it('sends at once when idle, gathers what comes while batches travel, answers each its own', async () => {
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
    const first = [send(settle('a-ok')), send(settle('b-no'))] // two batches in flight, one each
    const rest = Array.from({ length: 10 }, (_, i) => send(settle(`c${i}-${i % 2 ? 'ok' : 'no'}`)))
    expect(batches).toEqual([['a-ok'], ['b-no']])
    const opened = release
    gate = Promise.resolve()
    opened()
    expect(await Promise.all(first)).toEqual([true, false])
    expect(await Promise.all(rest)).toEqual(Array.from({ length: 10 }, (_, i) => i % 2 === 1))
    expect(batches.slice(2).flat()).toEqual(
      Array.from({ length: 10 }, (_, i) => `c${i}-${i % 2 ? 'ok' : 'no'}`),
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
