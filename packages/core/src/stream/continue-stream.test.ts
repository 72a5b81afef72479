import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterEach, describe, expect, it } from 'vitest'
import type { SluiceMeta } from '../chain/types'
import { textTokens } from '../cost/estimate'
import { deepseek } from '../providers/deepseek'
import { groq } from '../providers/groq'
import type { ChatChunk, Provider } from '../providers/types'
import { createSluice } from '../sluice/create-sluice'
import { continuationRequest } from './continue-stream'

// Words, accents and a character outside the BMP (two UTF-16 halves) for the cuts to land in.
const ANSWER = 'Sluices hold water back: café-side locks, écluses — and a waves! 🌊 rolls on to the sea.'
const toLlama = { modelMap: { 'deepseek-chat': 'llama-3.3-70b-versatile' } }
const sims: Simulator[] = []
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()))
})
const sim = async (o: Parameters<typeof startSimulator>[0]) => {
  const s = await startSimulator({
    latencyMs: { min: 1, max: 2 },
    answerText: ANSWER,
    streamChunkChars: 3,
    ...o,
  })
  sims.push(s)
  return s
}
const ask = {
  model: 'deepseek-chat',
  messages: [{ role: 'user' as const, content: 'Tell me of sluices' }],
  max_tokens: 200,
}

/** Reads a stream to its end: its text, its final meta and usage (or the error it ended with). */
async function read(stream: AsyncGenerator<ChatChunk, SluiceMeta>) {
  let text = ''
  let usage: ChatChunk['usage']
  for (;;) {
    const next = await stream.next()
    if (next.done) return { text, meta: next.value, usage }
    text += next.value.choices[0]?.delta.content ?? ''
    usage = next.value.usage ?? usage
  }
}

/** One provider, whose every stream the simulator cuts after 6 pieces, asked to continue itself. */
async function loneCutter(options: Partial<Parameters<typeof createSluice>[0]>) {
  const only = await sim({ profile: 'deepseek', streamFailAfter: 6 })
  const sluice = createSluice({
    providers: [deepseek({ baseURL: only.url, apiKey: 'k' })],
    streams: { sameProvider: true },
    retry: { retries: 0 },
    ...options,
  })
  return { only, sluice }
}

describe('a stream cut mid-way continues on the fallback', () => {
  // Cuts after 1…30 pieces of 3 characters: inside words, between the halves of 🌊, at word ends.
  // and one more at random each run (it names itself, to be run again).
  const cuts = [1, 2, 5, 8, 13, 17, 20, 21, 22, 23, 26, 28, 1 + Math.floor(Math.random() * 28)]
  for (const n of cuts) {
    it(`cut after ${n} chunks: the caller reads the whole answer once, joined at the seam`, async () => {
      const primary = await sim({ profile: 'deepseek', streamFailAfter: n })
      const fallback = await sim({ profile: 'groq', rpm: 0, tpm: 0 })
      const sluice = createSluice({
        providers: [
          deepseek({ baseURL: primary.url, apiKey: 'k' }),
          groq({ baseURL: fallback.url, apiKey: 'k', ...toLlama }),
        ],
        retry: { retries: 0 },
        cache: { enabled: false },
      })
      const { text, meta } = await read(sluice.stream(ask, { userId: 'u' }))
      expect(text).toBe(ANSWER)
      // The fallback was asked to continue from what the caller had (a half character held back).
      const sent = primary.stats.lastCut!
      const half = /[\uD800-\uDBFF]$/.test(sent)
      if (n === 22) expect(half).toBe(true) // this cut falls between the halves of 🌊
      const held = half ? sent.slice(0, -1) : sent
      expect(fallback.stats.lastContinuation?.prefix).toBe(held)
      expect(meta.continued).toEqual([{ provider: 'groq', afterChars: held.length }])
      expect(meta.provider).toBe('groq')
      expect(meta.costUsd).toBeGreaterThan(0)
      expect((await sluice.stats()).requestsTotal).toBe(1) // one call, whatever it took
      await sluice.close()
    })
  }

  it("a provider with prefix completion (DeepSeek's) is sent the partial answer as its prefix", async () => {
    const primary = await sim({ profile: 'groq', rpm: 0, tpm: 0, streamFailAfter: 11 })
    const fallback = await sim({ profile: 'deepseek' })
    const sluice = createSluice({
      providers: [
        groq({ baseURL: primary.url, apiKey: 'k' }),
        deepseek({
          baseURL: fallback.url,
          prefixURL: fallback.url,
          apiKey: 'k',
          modelMap: { 'llama-3.3-70b-versatile': 'deepseek-chat' },
        }),
      ],
      retry: { retries: 0 },
      cache: { enabled: false },
    })
    const { text, meta } = await read(
      sluice.stream({ ...ask, model: 'llama-3.3-70b-versatile' }, { userId: 'u' }),
    )
    expect(text).toBe(ANSWER)
    expect(fallback.stats.lastContinuation).toMatchObject({ form: 'prefix', prefix: primary.stats.lastCut })
    expect(meta.continued).toMatchObject([{ provider: 'deepseek' }])
    await sluice.close()
  })

  it('deepseek() sends a continuation to its /beta, the partial answer as the prefix; any other request as before', async () => {
    const seen: { url: string; body: { messages: { role: string; prefix?: boolean }[] } }[] = []
    const stub = (async (url: string, init: RequestInit) => {
      seen.push({ url, body: JSON.parse(String(init.body)) })
      return new Response('data: [DONE]\n\n', { headers: { 'content-type': 'text/event-stream' } })
    }) as unknown as typeof fetch
    const p = deepseek({ apiKey: 'k', fetch: stub })
    for await (const _ of p.stream(continuationRequest(ask, 'Sluices ho')));
    for await (const _ of p.stream(ask));
    expect(seen.map((s) => s.url)).toEqual([
      'https://api.deepseek.com/beta/chat/completions',
      'https://api.deepseek.com/chat/completions',
    ])
    expect(seen[0]!.body.messages.at(-1)).toEqual({ role: 'assistant', content: 'Sluices ho', prefix: true })
  })

  it('with streams.sameProvider, a lone provider that broke is asked to continue itself', async () => {
    const { only, sluice } = await loneCutter({ cache: { enabled: false } })
    // The simulator cuts every stream after 6 pieces: the continuation (30 pieces less) is cut
    // too, and with one continuation allowed the stream ends with the error after both.
    const ended = await read(sluice.stream(ask, { userId: 'u' })).catch((e: unknown) => e)
    expect(ended).toMatchObject({ code: 'provider_error', details: { partial: true } })
    expect(only.stats.continuations).toBe(1)
    expect(only.stats.lastContinuation?.prefix).toBe(ANSWER.slice(0, 18))
    await sluice.close()
  })

  it('up to maxContinuations: each cut continues, and the broken streams are each charged once', async () => {
    const { only, sluice } = await loneCutter({ streams: { sameProvider: true, maxContinuations: 5 } })
    const { text, meta, usage } = await read(sluice.stream(ask, { userId: 'u' }))
    expect(text).toBe(ANSWER)
    expect(meta.continued!.length).toBeGreaterThanOrEqual(3)
    expect(meta.continued!.length).toBe(only.stats.continuations)
    // What the caller read, counted once: the broken streams' text (estimated) and the last one's.
    const billed = usage!.completion_tokens
    expect(billed).toBeGreaterThanOrEqual(textTokens(ANSWER) - meta.continued!.length)
    expect(billed).toBeLessThanOrEqual(textTokens(ANSWER) + 2 * meta.continued!.length)
    // It finished normally: the whole answer is cached.
    const again = await read(sluice.stream(ask, { userId: 'v' }))
    expect(again).toMatchObject({ text: ANSWER, meta: { cached: true } })
    await sluice.close()
  })

  it('a continuation that breaks past the maximum ends with the error, and nothing is cached', async () => {
    const { only, sluice } = await loneCutter({ streams: { sameProvider: true, maxContinuations: 2 } })
    for (const user of ['u', 'v']) {
      const ended = await read(sluice.stream(ask, { userId: user })).catch((e: unknown) => e)
      expect(ended).toMatchObject({ code: 'provider_error', details: { partial: true } })
    }
    // Both callers went upstream: a stream and two continuations each, no cache hit for the second.
    expect(only.stats.streams).toBe(6)
    expect(only.stats.continuations).toBe(4)
    await sluice.close()
  })

  it('a cut inside a tool call ends with provider_error, never half a tool call; nothing is continued', async () => {
    const fallback = await sim({ profile: 'groq', rpm: 0, tpm: 0 })
    const toolCalling: Provider = {
      name: 'tools',
      models: ['deepseek-chat'],
      defaultModel: 'deepseek-chat',
      chat: () => Promise.reject(new Error('unused')),
      async *stream() {
        const base = { id: 'c', object: 'chat.completion.chunk' as const, created: 0, model: 'deepseek-chat' }
        yield {
          ...base,
          choices: [{ index: 0, delta: { role: 'assistant' as const, content: '' }, finish_reason: null }],
        }
        const call = {
          index: 0,
          id: 't1',
          type: 'function',
          function: { name: 'lookup', arguments: '{"q": "slu' },
        }
        yield {
          ...base,
          choices: [{ index: 0, delta: { tool_calls: [call] } as never, finish_reason: null }],
        }
        throw new Error('connection reset')
      },
    }
    const sluice = createSluice({
      providers: [toolCalling, groq({ baseURL: fallback.url, apiKey: 'k', ...toLlama })],
      retry: { retries: 0 },
    })
    await expect(read(sluice.stream(ask, { userId: 'u' }))).rejects.toMatchObject({
      code: 'provider_error',
      details: { partial: true },
    })
    expect(fallback.stats.requests).toBe(0)
    await sluice.close()
  })

  it('identical streams in flight all get the same continued text; off per call, the break is the error', async () => {
    const primary = await sim({ profile: 'deepseek', streamFailAfter: 9, latencyMs: { min: 30, max: 30 } })
    const fallback = await sim({ profile: 'groq', rpm: 0, tpm: 0 })
    const sluice = createSluice({
      providers: [
        deepseek({ baseURL: primary.url, apiKey: 'k' }),
        groq({ baseURL: fallback.url, apiKey: 'k', ...toLlama }),
      ],
      retry: { retries: 0 },
    })
    const both = await Promise.all(['a', 'b', 'c'].map((u) => read(sluice.stream(ask, { userId: u }))))
    expect(both.map((r) => r.text)).toEqual([ANSWER, ANSWER, ANSWER])
    expect(primary.stats.streams).toBe(1) // one upstream stream, shared
    expect(fallback.stats.continuations).toBe(1)
    // It finished normally: the cache has the whole answer, and replays it.
    const again = await read(sluice.stream(ask, { userId: 'd' }))
    expect(again).toMatchObject({ text: ANSWER, meta: { cached: true } })
    expect(primary.stats.streams + fallback.stats.streams).toBe(2)
    const off = createSluice({
      providers: [
        deepseek({ baseURL: primary.url, apiKey: 'k' }),
        groq({ baseURL: fallback.url, apiKey: 'k', ...toLlama }),
      ],
      retry: { retries: 0 },
      cache: { enabled: false },
    })
    await expect(read(off.stream(ask, { userId: 'u', continueStream: false }))).rejects.toMatchObject({
      code: 'provider_error',
      details: { partial: true },
    })
    await sluice.close()
    await off.close()
  })
})
