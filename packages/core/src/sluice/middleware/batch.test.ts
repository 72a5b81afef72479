import { describe, expect, it } from 'vitest'
import { batchOptionsSchema } from '../../batch/batch-schema'
import { ResilientAgent } from '../../resilience/resilient-agent'
import { batchStep } from './batch'
import { answer, chatCall } from './test-calls'

describe('batch step', () => {
  it('wrapped calls of one group become one upstream call; each caller gets its own answer', async () => {
    const sent: unknown[][] = []
    const batches = {
      upper: batchOptionsSchema.parse({
        groupBy: (input: unknown) => (input as { lang: string }).lang,
        maxSize: 3,
        windowMs: 50,
        run: async (inputs: unknown[]) => {
          sent.push(inputs)
          return inputs.map((i) => (i as { text: string }).text.toUpperCase())
        },
      }),
    }
    const agent = new ResilientAgent({})
    let singles = 0
    const step = batchStep(batches, agent, async () => {
      singles++
      return answer('alone')
    })
    const wrapped = (text: string, lang: string) =>
      chatCall(text, { kind: 'call', endpoint: 'upper', request: undefined, input: { text, lang } })
    const calls = [wrapped('a', 'fr'), wrapped('b', 'fr'), wrapped('c', 'fr'), wrapped('d', 'de')]
    const outcomes = await Promise.all(calls.map((c) => step.run(c)))
    expect(outcomes.slice(0, 3).map((o) => o.value)).toEqual(['A', 'B', 'C'])
    expect(outcomes[3]).toEqual(answer('alone')) // de was a group of one: a single call
    expect(sent).toEqual([
      [
        { text: 'a', lang: 'fr' },
        { text: 'b', lang: 'fr' },
        { text: 'c', lang: 'fr' },
      ],
    ])
    expect(calls.slice(0, 3).map((c) => [c.meta.batched, c.meta.batchSize])).toEqual([
      [true, 3],
      [true, 3],
      [true, 3],
    ])
    expect(singles).toBe(1)
    expect(step.counters).toEqual({ batches: 1, batchedCalls: 3, fallbacks: 0 })
    expect(step.groupOf(calls[0]!)).toBe('upper\nfr')
    expect(step.groupOf(chatCall())).toBeUndefined() // an endpoint without batch options
    agent.close()
  })
})
