import { ChatOpenAI } from '@langchain/openai'
import { createSluice, deepseek, groq, withCallContext } from '@sluice/core'
import { type Simulator, startSimulator } from '@sluice/simulator'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sluiceClient, sluiceFetch } from '../src'

const ANSWER = 'A stream cut mid-word goes on elsewhere, and the reader never sees the seam.'
let primary: Simulator
let fallback: Simulator
beforeAll(async () => {
  const o = { latencyMs: { min: 1, max: 2 }, answerText: ANSWER, streamChunkChars: 4 }
  primary = await startSimulator({ ...o, profile: 'deepseek', streamFailAfter: 7 })
  fallback = await startSimulator({ ...o, profile: 'groq', rpm: 0, tpm: 0 })
})
afterAll(async () => {
  await primary.close()
  await fallback.close()
})
const sluice = () =>
  createSluice({
    providers: [
      deepseek({ baseURL: primary.url, apiKey: 'k' }),
      groq({ baseURL: fallback.url, apiKey: 'k', modelMap: { 'deepseek-chat': 'llama-3.3-70b-versatile' } }),
    ],
    retry: { retries: 0 },
    cache: { enabled: false },
  })

describe('a stream cut mid-way, through the drop-in clients', () => {
  it('the openai client reads the whole answer, continued on the fallback', async () => {
    const s = sluice()
    const openai = sluiceClient(new OpenAI({ apiKey: 'unused' }), s)
    const text = await withCallContext({ userId: 'u' }, async () => {
      const stream = await openai.chat.completions.create({
        model: 'deepseek-chat',
        messages: [{ role: 'user', content: 'go' }],
        stream: true,
      })
      let all = ''
      for await (const chunk of stream) all += chunk.choices[0]?.delta.content ?? ''
      return all
    })
    expect(text).toBe(ANSWER)
    await s.close()
  })

  it('LangChain.js ChatOpenAI.stream reads the whole answer too', async () => {
    const s = sluice()
    const model = new ChatOpenAI({
      model: 'deepseek-chat',
      apiKey: 'unused',
      maxRetries: 0,
      configuration: { baseURL: 'http://127.0.0.1:9/v1', fetch: sluiceFetch(s) },
    })
    const text = await withCallContext({ userId: 'u' }, async () => {
      let all = ''
      for await (const chunk of await model.stream('go')) all += String(chunk.content)
      return all
    })
    expect(text).toBe(ANSWER)
    await s.close()
  })
})
