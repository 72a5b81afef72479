import { describe, expect, it } from 'vitest'
import { SluiceError } from '../../errors/sluice-error'
import type { Monitor } from '../../monitor/monitor'
import { metricsMiddleware } from './metrics'
import { answer, chatCall, countingNext } from './test-calls'

function fakeMonitor() {
  const seen: string[] = []
  const monitor = {
    begin: (user: string) => seen.push(`begin ${user}`),
    end: (_ms: number, code?: string) => seen.push(code ? `end ${code}` : 'end'),
    queued: () => seen.push('queued'),
    saved: (by: string, calls: number, usd: number) => seen.push(`saved ${by} ${calls} ${usd}`),
  }
  return { monitor: monitor as unknown as Monitor, seen }
}

describe('metrics', () => {
  it('counts the call, its end and its error code; a cache hit counts as a call saved, priced', async () => {
    const { monitor, seen } = fakeMonitor()
    const step = metricsMiddleware(monitor, () => 0.5)
    await step(chatCall(), countingNext())
    const hit = chatCall()
    await step(hit, async () => {
      hit.meta.cached = true
      return answer('stored')
    })
    await step(chatCall(), () => Promise.reject(new SluiceError('rate_limited', 'no'))).catch(() => {})
    expect(seen).toEqual([
      'begin ana',
      'end',
      'begin ana',
      'end',
      'saved cache 1 0.5',
      'begin ana',
      'end rate_limited',
    ])
  })

  it('a call whose caller already left runs nothing and counts nothing', async () => {
    const { monitor, seen } = fakeMonitor()
    const gone = new AbortController()
    gone.abort()
    const next = countingNext()
    const e = await metricsMiddleware(monitor, () => undefined)(
      chatCall('x', { signal: gone.signal }),
      next,
    ).catch((x: unknown) => x)
    expect(e).toMatchObject({ code: 'cancelled' })
    expect(next.calls).toBe(0)
    expect(seen).toEqual([])
  })
})
