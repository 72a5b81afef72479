import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { createSluice, deepseek, type Sluice } from '@sluice/core'
import { type Simulator, startSimulator } from '@sluice/simulator'
import { generateText, streamText, wrapLanguageModel } from 'ai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sluiceMiddleware } from './sluice-middleware'

let primary: Simulator
let fallback: Simulator
beforeAll(async () => {
  primary = await startSimulator({ profile: 'deepseek', latencyMs: { min: 5, max: 5 } })
  fallback = await startSimulator({ profile: 'groq', latencyMs: { min: 5, max: 5 }, rpm: 0, tpm: 0 })
})
afterAll(async () => {
  await primary.close()
  await fallback.close()
})
beforeEach(() => primary.setOutage(false))

const provider = (name: string, url: string) =>
  createOpenAICompatible({ name, baseURL: url, apiKey: 'sim', includeUsage: true })
const deepseekModel = () => provider('deepseek', primary.url).chatModel('deepseek-chat')
const groqModel = () => provider('groq', fallback.url).chatModel('llama-3.3-70b-versatile')

function setup(): { sluice: Sluice; model: ReturnType<typeof wrapLanguageModel> } {
  const sluice = createSluice({
    // Sluice's own providers are not used by wrapped calls; one is named for completeness.
    providers: [deepseek({ baseURL: primary.url, apiKey: 'sim' })],
    tiers: { free: { limits: { tutor: { limit: 3, window: '1m' } }, budget: { daily: 1 } } },
    retry: { retries: 1, minTimeout: 5, maxTimeout: 10 },
  })
  const model = wrapLanguageModel({
    model: deepseekModel(),
    middleware: sluiceMiddleware({ sluice, fallbacks: [groqModel()], endpoint: 'tutor' }),
  })
  return { sluice, model }
}
const who = (userId: string) => ({ sluice: { userId, tier: 'free' } })
/** A streamText's whole text, read as its caller reads it. */
async function textOf(s: { textStream: AsyncIterable<string> }): Promise<string> {
  let text = ''
  for await (const part of s.textStream) text += part
  return text
}

describe('@sluice/ai-sdk through the AI SDK', () => {
  it('generateText: answered once, then from the cache; the cost is settled at the usage; the limit refuses the 4th', async () => {
    const { sluice, model } = setup()
    const before = primary.stats.requests
    const first = await generateText({
      model,
      prompt: 'What is a sluice?',
      maxRetries: 0,
      providerOptions: who('ana'),
    })
    expect(first.text.length).toBeGreaterThan(0)
    const again = await generateText({
      model,
      prompt: 'What is a sluice?',
      maxRetries: 0,
      providerOptions: who('ana'),
    })
    expect(again.text).toBe(first.text)
    expect(primary.stats.requests - before).toBe(1) // the second came from Sluice's cache
    const spent = await sluice.cost.spend('ana')
    const priced = sluice.price('deepseek-chat', {
      prompt_tokens: first.usage.inputTokens!,
      completion_tokens: first.usage.outputTokens!,
      total_tokens: first.usage.totalTokens!,
    })!
    expect(Math.abs(spent - priced)).toBeLessThan(1e-12)
    await generateText({ model, prompt: 'Another question', maxRetries: 0, providerOptions: who('ana') })
    await expect(
      generateText({ model, prompt: 'One too many', maxRetries: 0, providerOptions: who('ana') }),
    ).rejects.toMatchObject({ code: 'rate_limited' })
    expect((await sluice.stats()).saved.by.cache.calls).toBe(1)
    await sluice.close()
  })

  it('identical generateText calls in flight share one upstream call', async () => {
    const { sluice, model } = setup()
    const before = primary.stats.requests
    const texts = await Promise.all(
      ['u1', 'u2', 'u3'].map(
        async (u) =>
          (await generateText({ model, prompt: 'Shared question', maxRetries: 0, providerOptions: who(u) }))
            .text,
      ),
    )
    expect(new Set(texts).size).toBe(1)
    expect(primary.stats.requests - before).toBe(1)
    await sluice.close()
  })

  it('the primary down: generateText and streamText fall back to the other AI SDK model', async () => {
    const { sluice, model } = setup()
    primary.setOutage(true)
    const groqBefore = fallback.stats.requests
    const answered = await generateText({
      model,
      prompt: 'During the outage',
      maxRetries: 0,
      providerOptions: who('bo'),
    })
    expect(answered.text.length).toBeGreaterThan(0)
    expect(answered.response.modelId).toBe('llama-3.3-70b-versatile')
    const streamed = streamText({
      model,
      prompt: 'Stream during the outage',
      maxRetries: 0,
      providerOptions: who('cy'),
    })
    expect((await textOf(streamed)).length).toBeGreaterThan(0)
    expect(fallback.stats.requests - groqBefore).toBe(2)
    expect(sluice.counters().fallbacks).toBe(2)
    await sluice.close()
  })

  it('streamText goes through the limits too, and a call without a caller is refused before anything is sent', async () => {
    const { sluice, model } = setup()
    const before = primary.stats.requests
    for (let i = 0; i < 3; i++) {
      const s = streamText({ model, prompt: `stream ${i}`, maxRetries: 0, providerOptions: who('di') })
      expect((await textOf(s)).length).toBeGreaterThan(0)
    }
    const errors: unknown[] = []
    const refused = streamText({
      model,
      prompt: 'stream 4',
      maxRetries: 0,
      providerOptions: who('di'),
      onError: ({ error }) => void errors.push(error),
    })
    for await (const _ of refused.textStream) {
    }
    expect(errors).toMatchObject([{ code: 'rate_limited' }])
    await expect(generateText({ model, prompt: 'who am I?', maxRetries: 0 })).rejects.toMatchObject({
      code: 'invalid_request',
    })
    expect(primary.stats.requests - before).toBe(3)
    await sluice.close()
  })

  it('streamText: a streamed answer is cached and settled at its usage; a cached one replays as a stream', async () => {
    const { sluice, model } = setup()
    const before = primary.stats.requests
    const read = async (prompt: string, user: string) => {
      const s = streamText({ model, prompt, maxRetries: 0, providerOptions: who(user) })
      return { text: await textOf(s), usage: await s.usage }
    }
    const streamed = await read('Explain the subjunctive', 'eva')
    expect(streamed.text.length).toBeGreaterThan(0)
    const priced = sluice.price('deepseek-chat', {
      prompt_tokens: streamed.usage.inputTokens!,
      completion_tokens: streamed.usage.outputTokens!,
      total_tokens: streamed.usage.totalTokens!,
    })!
    expect(Math.abs((await sluice.cost.spend('eva')) - priced)).toBeLessThan(1e-12)
    // The same request again: as a stream and as a generate, both from the cache.
    expect((await read('Explain the subjunctive', 'fay')).text).toBe(streamed.text)
    const generated = await generateText({
      model,
      prompt: 'Explain the subjunctive',
      maxRetries: 0,
      providerOptions: who('gus'),
    })
    expect(generated.text).toBe(streamed.text)
    expect(primary.stats.requests - before).toBe(1)
    // And the other way round: a generated answer replays as a stream.
    const g = await generateText({
      model,
      prompt: 'Explain the imperative',
      maxRetries: 0,
      providerOptions: who('hal'),
    })
    expect((await read('Explain the imperative', 'ivy')).text).toBe(g.text)
    expect(primary.stats.requests - before).toBe(2)
    await sluice.close()
  })

  it('identical streams in flight share one upstream stream', async () => {
    const { sluice, model } = setup()
    const before = primary.stats.requests
    const texts = await Promise.all(
      ['j1', 'j2', 'j3'].map((u) =>
        textOf(streamText({ model, prompt: 'A shared stream', maxRetries: 0, providerOptions: who(u) })),
      ),
    )
    expect(new Set(texts).size).toBe(1)
    expect(texts[0]!.length).toBeGreaterThan(0)
    expect(primary.stats.requests - before).toBe(1)
    await sluice.close()
  })
})
