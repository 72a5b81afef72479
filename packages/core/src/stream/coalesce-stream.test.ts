import { describe, expect, it } from 'vitest'
import { CacheService } from '../cache/cache-service'
import type { ChatCompletion } from '../providers/types'
import { coalesceMiddleware } from '../sluice/middleware/cache'
import { answer, chatCall, countingNext } from '../sluice/middleware/test-calls'
import { assembleChunks, replayChunks } from './stream-chunks'

async function read(stream: AsyncIterable<unknown> | undefined) {
  const chunks = []
  for await (const c of stream ?? []) chunks.push(c)
  return assembleChunks(chunks as never)?.choices[0]?.message.content
}

describe('coalesced streams', () => {
  it('identical streams in flight read one upstream stream, each from its first chunk', async () => {
    const cache = new CacheService({})
    const step = coalesceMiddleware(cache)
    const upstream = answer('one stream for two readers').value as ChatCompletion
    const next = countingNext(async () => ({ value: undefined, stream: replayChunks(upstream) }))
    const [a, b] = [chatCall('same', { stream: true }), chatCall('same', { stream: true, userId: 'ben' })]
    const [oa, ob] = await Promise.all([step(a, next), step(b, next)])
    expect(await Promise.all([read(oa.stream), read(ob.stream)])).toEqual([
      'one stream for two readers',
      'one stream for two readers',
    ])
    expect(next.calls).toBe(1)
    expect([a.meta.coalesced, b.meta.coalesced].sort()).toEqual([false, true])
  })
})
