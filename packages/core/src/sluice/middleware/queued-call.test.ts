import { describe, expect, it } from 'vitest'
import type { Reservation } from '../../cost/cost-tracker'
import { newCall } from '../make-call'
import { callOfJob, queuedCall } from './queued-call'

const reservation: Reservation = {
  id: 'r1',
  userId: 'ana',
  tier: 'free',
  amountUsd: 0.01,
  limits: [
    { key: 'd', limitUsd: 0.1, ttlMs: 1 },
    { key: 'm', limitUsd: Number.POSITIVE_INFINITY, ttlMs: 1 },
  ],
  counters: [],
}

describe('queuedCall / callOfJob', () => {
  it('a chat comes back from its JSON job as the call that was queued', () => {
    const call = newCall({
      kind: 'chat',
      endpoint: 'translate',
      userId: 'ana',
      tier: 'premium',
      priority: 2,
      request: { model: 'm', messages: [{ role: 'user', content: 'hola' }] },
      cache: { enabled: true, type: 'translation', ttlMs: 5_000, scope: 'user' },
      timeoutMs: 9_000,
    })
    call.steps.reservation = reservation
    const job = JSON.parse(JSON.stringify(queuedCall(call, 1_000)))
    const signal = new AbortController().signal
    const back = callOfJob(job, {}, signal, 1_250)
    expect(back.call).toMatchObject({
      kind: 'chat',
      endpoint: 'translate',
      userId: 'ana',
      tier: 'premium',
      priority: 2, // not a default: a capacity wait orders by it on the worker too
      request: call.request,
      cache: call.cache,
      timeoutMs: 9_000,
      signal,
      steps: {},
      state: {},
    })
    expect(back.call.meta.queuedMs).toBe(250)
    // JSON has no Infinity: the unlimited period comes back unlimited, not as null or 0; the
    // call is priced as of when the worker makes it.
    expect(back.reservation).toEqual({ ...reservation, at: 1_250 })
  })

  it('a wrapped call travels with its runner name and runs on the worker with that runner', async () => {
    const call = newCall({
      kind: 'call',
      endpoint: 'summarise',
      userId: 'ben',
      tier: undefined,
      priority: 5,
      input: { text: 'long' },
      runner: 'sum',
      pricing: { estimateUsd: 0.002 },
      cache: { enabled: false, type: 'summarise' },
    })
    const job = JSON.parse(JSON.stringify(queuedCall(call, 0)))
    const runners = { sum: async (input: unknown) => `summary of ${JSON.stringify(input)}` }
    const { call: back, reservation: none } = callOfJob(job, runners, new AbortController().signal, 0)
    expect(none).toBeUndefined()
    expect(back).toMatchObject({ kind: 'call', input: { text: 'long' }, pricing: { estimateUsd: 0.002 } })
    expect(await back.run!(back.input, new AbortController().signal)).toBe('summary of {"text":"long"}')
    expect(() =>
      callOfJob({ ...job, runner: 'gone' }, runners, new AbortController().signal, 0),
    ).toThrowError(expect.objectContaining({ code: 'invalid_config', path: 'runners.gone' }))
  })
})
