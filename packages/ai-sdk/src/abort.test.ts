import { createSluice, deepseek } from '@sluice/core'
import { generateText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { sluiceMiddleware } from './sluice-middleware'

describe("the AI SDK caller's abortSignal", () => {
  it('ends the Sluice call at once, even while the model does not listen, and is counted once as cancelled', async () => {
    const events: string[] = []
    const deaf = new MockLanguageModelV3({
      provider: 'deepseek',
      modelId: 'deepseek-chat',
      doGenerate: async () => {
        await new Promise((r) => setTimeout(r, 300))
        events.push('model answered')
        return {
          content: [{ type: 'text', text: 'late' }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: {
            inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
            outputTokens: { total: 1, text: 1, reasoning: 0 },
          },
          warnings: [],
        }
      },
    })
    const sluice = createSluice({
      providers: [deepseek({ baseURL: 'http://127.0.0.1:9', apiKey: 'x' })],
      retry: { retries: 0 },
    })
    const model = wrapLanguageModel({ model: deaf, middleware: sluiceMiddleware({ sluice }) })
    const caller = new AbortController()
    setTimeout(() => caller.abort(), 30)
    await expect(
      generateText({
        model,
        prompt: 'never mind',
        maxRetries: 0,
        abortSignal: caller.signal,
        providerOptions: { sluice: { userId: 'x' } },
      }),
    ).rejects.toMatchObject({ code: 'cancelled' })
    events.push('caller left')
    expect(events).toEqual(['caller left'])
    expect((await sluice.stats()).errorsByCode).toEqual({ cancelled: 1 })
    await sluice.close()
  })
})
