import { getEventListeners } from 'node:events'
import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { SluiceMeta } from '../chain/types'
import type { SluiceError } from '../errors/sluice-error'
import { deepseek } from '../providers/deepseek'
import type { ChatChunk, ChatCompletion, Provider } from '../providers/types'
import { createSluice } from '../sluice/create-sluice'
import { observeStream } from './observe-stream'

let ds: Simulator
beforeAll(async () => {
  ds = await startSimulator({ profile: 'deepseek', latencyMs: { min: 2, max: 5 } })
})
afterAll(() => ds.close())

const build = () =>
  createSluice({
    providers: [deepseek({ baseURL: ds.url })],
    tiers: { free: { limits: { tutor: { limit: 2, window: '1m' } }, budget: { daily: 1 } } },
    retry: { retries: 0 },
  })
const ask = (content: string) => ({ model: 'deepseek-chat', messages: [{ role: 'user' as const, content }] })

/** A chunk and a completion of model `m`, for providers written in a test. */
const chunk = (content: string): ChatChunk => ({
  id: 's',
  object: 'chat.completion.chunk',
  created: 0,
  model: 'm',
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
})
const toM = (content: string) => ({ model: 'm', messages: [{ role: 'user' as const, content }] })
const completion = (content: string): ChatCompletion => ({
  id: 'c',
  object: 'chat.completion',
  created: 0,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
})

/** Reads a stream to its end: its text, its chunks and the meta it returns. */
async function read(stream: AsyncGenerator<ChatChunk, SluiceMeta>) {
  let text = ''
  let chunks = 0
  for (let next = await stream.next(); ; next = await stream.next()) {
    if (next.done) return { text, chunks, meta: next.value }
    chunks++
    text += next.value.choices[0]?.delta.content ?? ''
  }
}

describe('streams through the one chain', () => {
  it('a use() middleware sees streams: a function via call.stream, a pair via wrapStream', async () => {
    const sluice = build()
    const seen: string[] = []
    let tapped = 0
    sluice.use(async (call, next) => {
      seen.push(call.stream ? 'fn:stream' : 'fn:call')
      const out = await next()
      return out.stream ? observeStream({ ...out, stream: out.stream }, { onChunk: () => tapped++ }) : out
    })
    sluice.use({
      name: 'pair',
      wrapCall: (_call, next) => {
        seen.push('pair:call')
        return next()
      },
      wrapStream: (_call, next) => {
        seen.push('pair:stream')
        return next()
      },
    })
    const streamed = await read(sluice.stream(ask('tap this'), { userId: 'u', cache: false }))
    await sluice.chat(ask('a plain one'), { userId: 'u', cache: false })
    expect(seen).toEqual(['fn:stream', 'pair:stream', 'fn:call', 'pair:call'])
    expect(tapped).toBe(streamed.chunks)
    expect(streamed.text).toContain('tap this')
    expect(sluice.middlewares()).toContain('pair')
    expect(() => sluice.use({} as never)).toThrow(expect.objectContaining({ code: 'invalid_config' }))
    await sluice.close()
  })

  it('a repeated stream is a cache hit replayed as a stream with the same text; a chat of it hits too', async () => {
    const sluice = build()
    const before = ds.stats.requests
    const first = await read(sluice.stream(ask('explain the subjunctive'), { userId: 'a' }))
    const again = await read(sluice.stream(ask('explain the subjunctive'), { userId: 'b' }))
    expect(ds.stats.requests - before).toBe(1)
    expect(first.meta.cached).toBe(false)
    expect(again.meta).toMatchObject({ cached: true, costUsd: 0 })
    expect(again.text).toBe(first.text)
    expect(again.text).toContain('explain the subjunctive')
    const chat = await sluice.chat(ask('explain the subjunctive'), { userId: 'c' })
    expect(chat.sluice.cached).toBe(true)
    expect(chat.choices[0]?.message.content).toBe(first.text)
    // And the other way round: an answer fetched by chat replays as a stream.
    const plain = await sluice.chat(ask('conjugate ser'), { userId: 'd' })
    const replayed = await read(sluice.stream(ask('conjugate ser'), { userId: 'e' }))
    expect(replayed.meta.cached).toBe(true)
    expect(replayed.text).toBe(plain.choices[0]?.message.content)
    expect(ds.stats.requests - before).toBe(2)
    await sluice.close()
  })

  it('rate limit, budget and metrics count each stream exactly once', async () => {
    const sluice = build()
    const ctx = { userId: 'lim', tier: 'free', endpoint: 'tutor', cache: false }
    const a = await read(sluice.stream(ask('one'), ctx))
    const b = await read(sluice.stream(ask('two'), ctx))
    await expect(read(sluice.stream(ask('three'), ctx))).rejects.toMatchObject({ code: 'rate_limited' })
    expect(a.meta.costUsd).toBeGreaterThan(0)
    expect(await sluice.cost.spend('lim')).toBeCloseTo(a.meta.costUsd + b.meta.costUsd, 12)
    const report = await sluice.cost.report()
    expect(report.requests).toBe(2)
    const stats = await sluice.stats()
    expect(stats.requestsTotal).toBe(3)
    expect(stats.errorsByCode).toEqual({ rate_limited: 1 })
    await sluice.close()
  })

  it('identical streams in flight share one upstream stream; each reader gets all of it, charged once', async () => {
    const sluice = build()
    const before = ds.stats.requests
    const reads = await Promise.all(
      Array.from({ length: 6 }, (_, i) => read(sluice.stream(ask('the same stream'), { userId: `s${i}` }))),
    )
    expect(ds.stats.requests - before).toBe(1)
    expect(new Set(reads.map((r) => r.text)).size).toBe(1)
    expect(reads[0]!.text).toContain('the same stream')
    expect(reads.filter((r) => r.meta.coalesced)).toHaveLength(5)
    expect(reads.every((r) => r.meta.provider === 'deepseek')).toBe(true)
    expect(reads.filter((r) => r.meta.costUsd > 0)).toHaveLength(1)
    await sluice.close()
  })

  it('a stream that fails before its first chunk gives its reservation back and counts one error', async () => {
    const sluice = build()
    ds.setOutage(true)
    try {
      await expect(read(sluice.stream(ask('down'), { userId: 'f', tier: 'free' }))).rejects.toMatchObject({
        code: 'provider_error',
      })
    } finally {
      ds.setOutage(undefined)
    }
    expect(await sluice.cost.spend('f')).toBe(0)
    const stats = await sluice.stats()
    expect(stats.requestsTotal).toBe(1)
    expect(stats.errorsByCode).toEqual({ provider_error: 1 })
    await sluice.close()
  })

  it('a stream left after its first chunk is counted once, not cached, and keeps what it reserved', async () => {
    const sluice = build()
    const stream = sluice.stream(ask('leave early please'), { userId: 'g', tier: 'free' })
    const first = await stream.next()
    expect(first.done).toBe(false)
    await stream.return(undefined as never)
    expect(await sluice.cost.spend('g')).toBeGreaterThan(0)
    const stats = await sluice.stats()
    expect(stats.requestsTotal).toBe(1)
    expect(stats.errorsByCode).toEqual({ cancelled: 1 })
    const before = ds.stats.requests
    await read(sluice.stream(ask('leave early please'), { userId: 'h' }))
    expect(ds.stats.requests - before).toBe(1)
    await sluice.close()
  })

  it("a caller's signal: a long-lived one is left clean by every call, and aborting it mid-stream ends the stream and closes the provider's", async () => {
    let closed = 0
    const slow: Provider = {
      name: 'slow',
      models: ['m'],
      defaultModel: 'm',
      chat: async () => completion('ok'),
      async *stream(_request, options) {
        try {
          for (let i = 0; i < 50; i++) {
            if (options?.signal?.aborted) throw options.signal.reason
            yield chunk(`${i} `)
            await new Promise((resolve) => setTimeout(resolve, 5))
          }
        } finally {
          closed++
        }
      },
    }
    const sluice = createSluice({ providers: [slow], retry: { retries: 0 } })
    const shutdown = new AbortController()
    for (let i = 0; i < 5; i++) {
      await sluice.chat(toM(`chat ${i}`), { userId: 'u', signal: shutdown.signal })
      const stream = sluice.stream(toM(`stream ${i}`), { userId: 'u', signal: shutdown.signal })
      await stream.next()
      await stream.return(undefined as never) // a reader that leaves early
    }
    // The upstream stream is closed behind the last reader that left, not before return() resolves.
    await vi.waitFor(() => expect(closed).toBe(5))
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0)

    const stream = sluice.stream(toM('aborted'), { userId: 'u', signal: shutdown.signal })
    await stream.next()
    setTimeout(() => shutdown.abort(), 20)
    await expect(read(stream)).rejects.toMatchObject({ code: 'cancelled' })
    await vi.waitFor(() => expect(closed).toBe(6))
    await sluice.close()
  })

  it('identical streams in flight: each reader leaves alone, at its own abort, and the others read on', async () => {
    let upstream = 0
    let closed = 0
    const paced = (firstAfterMs: number): Provider => ({
      name: 'paced',
      models: ['m'],
      defaultModel: 'm',
      chat: () => Promise.reject(new Error('streams only')),
      async *stream(_request, options) {
        upstream++
        try {
          for (let i = 0; i < 8; i++) {
            await new Promise((resolve) => setTimeout(resolve, i === 0 ? firstAfterMs : 10))
            if (options?.signal?.aborted) throw options.signal.reason
            yield chunk(`${i} `)
          }
        } finally {
          closed++
        }
      },
    })
    const same = toM('same')
    const text = async (s: AsyncIterable<ChatChunk>, onChunk?: (n: number) => void) => {
      let t = ''
      let n = 0
      try {
        for await (const c of s) {
          t += c.choices[0]?.delta.content ?? ''
          onChunk?.(++n)
        }
        return t
      } catch (error) {
        return `${(error as SluiceError).code} after "${t}"`
      }
    }
    const whole = '0 1 2 3 4 5 6 7 '

    // Mid-stream: the leader's caller and a follower's leave; the third reads all of it, from one stream.
    const mid = createSluice({ providers: [paced(5)], retry: { retries: 0 } })
    const [leader, follower] = [new AbortController(), new AbortController()]
    const reads = [
      text(mid.stream(same, { userId: 'a', signal: leader.signal }), (n) => n === 3 && leader.abort()),
      text(mid.stream(same, { userId: 'b', signal: follower.signal }), (n) => n === 1 && follower.abort()),
      text(mid.stream(same, { userId: 'c' })),
    ]
    const [a, b, c] = await Promise.all(reads)
    expect(a).toBe('cancelled after "0 1 2 "')
    expect(b).toBe('cancelled after "0 "')
    expect(c).toBe(whole)
    expect(upstream).toBe(1)
    await mid.close()

    // Before the first chunk: the leader's caller leaves, and a follower leads a stream of its own.
    upstream = 0
    const early = createSluice({ providers: [paced(60)], retry: { retries: 0 } })
    const gone = new AbortController()
    const first = [
      text(early.stream(same, { userId: 'a', signal: gone.signal })),
      text(early.stream(same, { userId: 'b' })),
    ]
    setTimeout(() => gone.abort(), 20)
    expect(await Promise.all(first)).toEqual(['cancelled after ""', whole])
    expect(upstream).toBe(2)
    await early.close()

    // Every reader gone: the provider's stream is closed.
    closed = 0
    const all = createSluice({ providers: [paced(5)], retry: { retries: 0 } })
    const both = [new AbortController(), new AbortController()]
    const left = both.map((ac, i) =>
      text(all.stream(same, { userId: `u${i}`, signal: ac.signal }), (n) => n === 2 && ac.abort()),
    )
    expect(await Promise.all(left)).toEqual(['cancelled after "0 1 "', 'cancelled after "0 1 "'])
    await vi.waitFor(() => expect(closed).toBe(1))
    await all.close()
  })

  it("a provider deaf to signals: the caller's abort still ends its chat and its stream at once", async () => {
    const events: string[] = []
    const later = (what: string) =>
      new Promise<void>((resolve) =>
        setTimeout(() => {
          events.push(`provider ${what}`)
          resolve()
        }, 200),
      )
    const deaf: Provider = {
      name: 'deaf',
      models: ['m'],
      defaultModel: 'm',
      chat: async () => {
        await later('answered')
        return completion('late')
      },
      async *stream() {
        yield chunk('a')
        await later('streamed on')
      },
    }
    const sluice = createSluice({ providers: [deaf], retry: { retries: 0 } })
    for (const cache of [true, false]) {
      const chat = new AbortController()
      const asked = sluice.chat(toM(`chat ${cache}`), { userId: 'u', signal: chat.signal, cache })
      setTimeout(() => chat.abort(), 20)
      await expect(asked).rejects.toMatchObject({ code: 'cancelled' })
      events.push('chat ended')
      const read = new AbortController()
      const stream = sluice.stream(toM(`stream ${cache}`), { userId: 'u', signal: read.signal, cache })
      expect((await stream.next()).done).toBe(false)
      read.abort()
      await expect(stream.next()).rejects.toMatchObject({ code: 'cancelled' })
      events.push('stream ended')
    }
    expect(events.slice(0, 4)).toEqual(['chat ended', 'stream ended', 'chat ended', 'stream ended'])
    await sluice.close()
  })
})
