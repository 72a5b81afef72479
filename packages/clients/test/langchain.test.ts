import { ChatOpenAI } from '@langchain/openai'
import { type Sluice, withCallContext } from '@sluice/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sluiceFetch } from '../src'
import { appSluice, type Rig, rig } from './setup'

let r: Rig
let sluice: Sluice
beforeAll(async () => {
  r = await rig()
})
afterAll(() => r.close())
beforeEach(() => {
  r.primary.setOutage(false)
  sluice = appSluice(r)
})

// LangChain's own retries off: Sluice retries, falls back and paces (and says not to retry what it refused).
const model = () =>
  new ChatOpenAI({
    model: 'deepseek-chat',
    apiKey: 'unused',
    maxRetries: 0,
    configuration: { baseURL: 'http://127.0.0.1:9/v1', fetch: sluiceFetch(sluice) },
  })
const as = <T>(userId: string, fn: () => Promise<T>) => withCallContext({ userId, tier: 'free' }, fn)

describe('LangChain.js ChatOpenAI with sluiceFetch', () => {
  it('invoke answers through Sluice; the same question again is a cache hit; the budget is settled at the usage it sees', async () => {
    const before = r.primary.stats.requests
    const first = await as('lc-ana', () => model().invoke('What is a sluice?'))
    expect(String(first.content).length).toBeGreaterThan(0)
    const again = await as('lc-bo', () => model().invoke('What is a sluice?'))
    expect(again.content).toBe(first.content)
    expect(r.primary.stats.requests - before).toBe(1)
    const usage = first.usage_metadata!
    const spent = await sluice.cost.spend('lc-ana')
    expect(spent).toBeCloseTo(
      sluice.price('deepseek-chat', {
        prompt_tokens: usage.input_tokens,
        completion_tokens: usage.output_tokens,
        total_tokens: usage.total_tokens,
      })!,
      10,
    )
    await sluice.close()
  })

  it('the 11th call of a user limited to 10 is refused: a 429 with the rate_limited body, nothing sent upstream', async () => {
    await as('lc-cy', async () => {
      for (let i = 0; i < 10; i++) await model().invoke(`question ${i}`)
      const before = r.primary.stats.requests
      const refused = (await model()
        .invoke('one more')
        .catch((e: unknown) => e)) as {
        status?: number
        error?: { error?: { code?: string } }
        code?: string
      }
      expect(refused.status).toBe(429)
      expect(JSON.stringify(refused.error ?? refused)).toContain('rate_limited')
      expect(r.primary.stats.requests).toBe(before)
    })
    await sluice.close()
  })

  it('stream streams, and a repeated stream is replayed from the cache as a stream', async () => {
    const read = (user: string) =>
      as(user, async () => {
        let text = ''
        let chunks = 0
        for await (const chunk of await model().stream('Stream me a poem')) {
          text += String(chunk.content)
          chunks++
        }
        return { text, chunks }
      })
    const before = r.primary.stats.requests
    const first = await read('lc-dee')
    expect(first.chunks).toBeGreaterThan(1)
    const replay = await read('lc-eve')
    expect(replay).toMatchObject({ text: first.text })
    expect(replay.chunks).toBeGreaterThan(1)
    expect(r.primary.stats.requests - before).toBe(1)
    await sluice.close()
  })

  it('a primary outage falls back', async () => {
    r.primary.setOutage(true)
    const before = r.fallback.stats.requests
    const res = await as('lc-fay', () => model().invoke('During the outage?'))
    expect(String(res.content).length).toBeGreaterThan(0)
    expect(r.fallback.stats.requests - before).toBe(1)
    await sluice.close()
  })

  it('any other request passes through to the real fetch', async () => {
    const res = await sluiceFetch(sluice)(`${r.primary.url}/models`)
    const body = (await res.json()) as { data: { id: string }[] }
    expect(body.data.map((m) => m.id)).toContain('deepseek-chat')
    await sluice.close()
  })
})
