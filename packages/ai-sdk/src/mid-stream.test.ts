import { createSluice, deepseek } from '@sluice/core'
import { streamText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { sluiceMiddleware } from './sluice-middleware'

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 2, text: 2, reasoning: 0 },
}

/** A fallback model that streams one text. */
const groqSaying = (text: string) =>
  new MockLanguageModelV3({
    provider: 'groq',
    modelId: 'llama-3.3-70b-versatile',
    doStream: async () => ({
      stream: simulateReadableStream({
        chunks: [
          { type: 'text-start' as const, id: '0' },
          { type: 'text-delta' as const, id: '0', delta: text },
          { type: 'text-end' as const, id: '0' },
          { type: 'finish' as const, usage, finishReason: { unified: 'stop' as const, raw: 'stop' } },
        ],
      }),
    }),
  })

/** A model whose stream sends 'Hel', then breaks. */
const cutAfterHel = () =>
  new MockLanguageModelV3({
    provider: 'deepseek',
    modelId: 'deepseek-chat',
    doStream: async () => ({
      stream: simulateReadableStream({
        chunks: [
          { type: 'stream-start' as const, warnings: [] },
          { type: 'text-start' as const, id: '0' },
          { type: 'text-delta' as const, id: '0', delta: 'Hel' },
          { type: 'error' as const, error: new Error('connection reset') },
        ],
      }),
    }),
  })

/** Streams 'Say hello' through `model` for user x: the stream's result and the text it read. */
async function sayHello(model: Parameters<typeof streamText>[0]['model']) {
  const s = streamText({
    model,
    prompt: 'Say hello',
    maxRetries: 0,
    providerOptions: { sluice: { userId: 'x' } },
  })
  let text = ''
  for await (const part of s.textStream) text += part
  return { s, text }
}

describe('a stream that breaks after it started', () => {
  it('plain text cut mid-way continues on the next model, from the text already sent, in the same text block', async () => {
    const broken = cutAfterHel()
    const fallback = groqSaying('lo there')
    const sluice = createSluice({
      providers: [deepseek({ baseURL: 'http://127.0.0.1:9', apiKey: 'x' })],
      tiers: { free: { budget: { daily: 1 } } },
      retry: { retries: 2, minTimeout: 1, maxTimeout: 2 },
    })
    const model = wrapLanguageModel({
      model: broken,
      middleware: sluiceMiddleware({ sluice, fallbacks: [fallback] }),
    })
    const errors: unknown[] = []
    const s = streamText({
      model,
      prompt: 'Say hello',
      maxRetries: 0,
      providerOptions: { sluice: { userId: 'x', tier: 'free' } },
      onError: ({ error }) => void errors.push(error),
    })
    let text = ''
    for await (const part of s.textStream) text += part
    expect(text).toBe('Hello there')
    expect(errors).toEqual([])
    expect((await s.providerMetadata)?.sluice).toEqual({
      continued: [{ provider: 'groq:llama-3.3-70b-versatile', afterChars: 3 }],
    })
    expect(broken.doStreamCalls.length).toBe(1) // not retried
    // The next model was asked to continue from what the caller had.
    const prompt = fallback.doStreamCalls[0]!.prompt
    expect(prompt.at(-2)).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'Hel' }] })
    expect(prompt.at(-1)).toMatchObject({ role: 'user' })
    expect(await sluice.cost.spend('x')).toBeGreaterThan(0)
    await sluice.close()
  })

  it('a continuation that breaks too goes on with the next model, up to maxContinuations; the metadata lists each', async () => {
    const cutAgain = new MockLanguageModelV3({
      provider: 'other',
      modelId: 'other-chat',
      doStream: async () => ({
        stream: simulateReadableStream({
          chunks: [
            { type: 'text-start' as const, id: '0' },
            { type: 'text-delta' as const, id: '0', delta: 'lo' },
            { type: 'error' as const, error: new Error('connection reset') },
          ],
        }),
      }),
    })
    const last = groqSaying(' there')
    const sluice = createSluice({
      providers: [deepseek({ baseURL: 'http://127.0.0.1:9', apiKey: 'x' })],
      streams: { maxContinuations: 2 },
      retry: { retries: 0 },
    })
    const model = wrapLanguageModel({
      model: cutAfterHel(),
      middleware: sluiceMiddleware({ sluice, fallbacks: [cutAgain, last] }),
    })
    const { s, text } = await sayHello(model)
    expect(text).toBe('Hello there')
    expect((await s.providerMetadata)?.sluice).toEqual({
      continued: [
        { provider: 'other:other-chat', afterChars: 3 },
        { provider: 'groq:llama-3.3-70b-versatile', afterChars: 5 },
      ],
    })
    expect(last.doStreamCalls[0]!.prompt.at(-2)).toEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'Hello' }],
    })
    await sluice.close()
  })

  it('with continueStream: false, ends the caller stream with provider_error (no second answer, no fallback) and keeps its reservation', async () => {
    const broken = cutAfterHel()
    const fallback = groqSaying('should not be sent')
    const sluice = createSluice({
      providers: [deepseek({ baseURL: 'http://127.0.0.1:9', apiKey: 'x' })],
      tiers: { free: { budget: { daily: 1 } } },
      retry: { retries: 2, minTimeout: 1, maxTimeout: 2 },
    })
    const model = wrapLanguageModel({
      model: broken,
      middleware: sluiceMiddleware({ sluice, fallbacks: [fallback] }),
    })
    const errors: unknown[] = []
    const s = streamText({
      model,
      prompt: 'Say hello',
      maxRetries: 0,
      providerOptions: { sluice: { userId: 'x', tier: 'free', continueStream: false } },
      onError: ({ error }) => void errors.push(error),
    })
    let text = ''
    for await (const part of s.textStream) text += part
    expect(text).toBe('Hel')
    expect(errors).toMatchObject([{ code: 'provider_error', details: { partial: true } }])
    expect(broken.doStreamCalls.length).toBe(1) // not retried
    expect(fallback.doStreamCalls.length).toBe(0) // nor sent elsewhere
    expect(await sluice.cost.spend('x')).toBeGreaterThan(0) // the reservation stands as its cost
    await sluice.close()
  })

  it('a model that sends no first part within the timeout: its request is aborted, the stream falls back, the wait is a timeout', async () => {
    let silentSignal: AbortSignal | undefined
    const silent = new MockLanguageModelV3({
      provider: 'deepseek',
      modelId: 'deepseek-chat',
      doStream: async (options) => {
        silentSignal = options.abortSignal
        return { stream: new ReadableStream() } // open, and nothing ever comes
      },
    })
    const fallback = groqSaying('from the fallback')
    const sluice = createSluice({
      providers: [deepseek({ baseURL: 'http://127.0.0.1:9', apiKey: 'x' })],
      timeout: 100,
      retry: { retries: 0 },
    })
    const failures: unknown[] = []
    sluice.on('fallback', ({ error }) => void failures.push(error))
    const model = wrapLanguageModel({
      model: silent,
      middleware: sluiceMiddleware({ sluice, fallbacks: [fallback] }),
    })
    const { text } = await sayHello(model)
    expect(text).toBe('from the fallback')
    expect(failures).toMatchObject([{ code: 'timeout', retryable: true }])
    expect(silentSignal?.aborted).toBe(true) // the silent model's request does not run on
    await sluice.close()
  })
})
