import { getEventListeners } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SluiceError } from '../errors/sluice-error'
import { deepseek } from './deepseek'
import { groq } from './groq'
import { openAICompatible } from './openai-compatible'
import { parseResetDuration, retryAfterFromHeaders } from './retry-after'

let ds: Simulator
let gq: Simulator
beforeAll(async () => {
  ds = await startSimulator({ profile: 'deepseek', latencyMs: { min: 1, max: 3 }, apiKey: 'k' })
  gq = await startSimulator({ profile: 'groq', latencyMs: { min: 1, max: 3 }, rpm: 2, tpm: 100_000 })
})
afterAll(async () => {
  await ds.close()
  await gq.close()
})

const messages = [
  { role: 'system' as const, content: 'You are a Spanish tutor.' },
  { role: 'user' as const, content: 'Translate: good morning' },
]

describe('openAICompatible providers', () => {
  it('chat returns the OpenAI shape with DeepSeek cache-hit usage', async () => {
    const p = deepseek({ apiKey: 'k', baseURL: ds.url })
    const first = await p.chat({ model: 'deepseek-chat', messages })
    expect(first.object).toBe('chat.completion')
    expect(first.choices[0]?.message.content).toContain('good morning')
    expect(first.usage?.prompt_cache_hit_tokens).toBe(0)
    const second = await p.chat({ model: 'deepseek-chat', messages })
    expect(second.usage?.prompt_cache_hit_tokens).toBeGreaterThan(0)
    expect(second.usage!.prompt_cache_hit_tokens! + second.usage!.prompt_cache_miss_tokens!).toBe(
      second.usage!.prompt_tokens,
    )
  })

  it('a 401 is a non-retryable provider_error with its status', async () => {
    const p = deepseek({ apiKey: 'wrong', baseURL: ds.url })
    const e = await p.chat({ model: 'deepseek-chat', messages }).catch((x) => x)
    expect(SluiceError.is(e, 'provider_error')).toBe(true)
    expect(e).toMatchObject({ status: 401, retryable: false, provider: 'deepseek' })
  })

  it('a 429 is retryable and carries Retry-After from the headers', async () => {
    const p = groq({ baseURL: gq.url })
    await p.chat({ model: 'llama-3.1-8b-instant', messages })
    await p.chat({ model: 'llama-3.1-8b-instant', messages })
    const e = await p.chat({ model: 'llama-3.1-8b-instant', messages }).catch((x) => x)
    expect(e).toMatchObject({ code: 'provider_error', status: 429, retryable: true })
    expect(e.retryAfterMs).toBeGreaterThan(0)
    expect(e.retryAfterMs).toBeLessThanOrEqual(60_000)
  })

  it('refuses a model it does not serve (a typo is not answered by another model); maps only when told', async () => {
    const sim = await startSimulator({ profile: 'groq', latencyMs: { min: 0, max: 0 }, rpm: 0 })
    const typo = await deepseek({ baseURL: ds.url, apiKey: 'k' })
      .chat({ model: 'deepseek-caht', messages })
      .catch((x) => x)
    expect(typo).toMatchObject({ code: 'invalid_request', path: 'request.model' })
    const plain = await groq({ baseURL: sim.url })
      .chat({ model: 'deepseek-chat', messages })
      .catch((x) => x)
    expect(plain).toMatchObject({ code: 'invalid_request', path: 'request.model' })
    expect(sim.stats.requests).toBe(0) // nothing was sent
    const mapped = groq({ baseURL: sim.url, modelMap: { 'deepseek-chat': 'llama-3.1-8b-instant' } })
    expect((await mapped.chat({ model: 'deepseek-chat', messages })).model).toBe('llama-3.1-8b-instant')
    const open = openAICompatible({
      name: 'router',
      baseURL: sim.url,
      defaultModel: 'x',
      acceptAnyModel: true,
    })
    expect((await open.chat({ model: 'llama-3.3-70b-versatile', messages })).model).toBe(
      'llama-3.3-70b-versatile',
    )
    await sim.close()
  })

  it('never lets the API key out: an upstream error that echoes it is redacted', async () => {
    const key = 'sk-live-0123456789abcdef'
    const echo = async (_url: unknown, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get('authorization')
      return new Response(
        JSON.stringify({ error: { message: `bad request, you sent ${auth} and key ${key}` } }),
        {
          status: 400,
          headers: { 'content-type': 'application/json' },
        },
      )
    }
    const p = openAICompatible({
      name: 'leaky',
      baseURL: 'http://x.invalid/v1',
      defaultModel: 'm',
      apiKey: key,
      fetch: echo as typeof fetch,
    })
    const e = await p.chat({ model: 'm', messages }).catch((x) => x)
    expect(SluiceError.is(e, 'provider_error')).toBe(true)
    expect(e.message).not.toContain(key)
    expect(e.message).not.toContain('0123456789abcdef')
    expect(JSON.stringify(e)).not.toContain(key)
    expect(e.message).toContain('[redacted]')
  })

  it('streams SSE chunks with usage at the end', async () => {
    const p = deepseek({ apiKey: 'k', baseURL: ds.url })
    let text = ''
    let usage: unknown
    for await (const chunk of p.stream({ model: 'deepseek-chat', messages })) {
      text += chunk.choices[0]?.delta.content ?? ''
      if (chunk.usage) usage = chunk.usage
    }
    expect(text).toContain('good morning')
    expect(usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) })
  })

  it('a stream cut mid-answer ends with an error, not silently', async () => {
    const sim = await startSimulator({
      profile: 'deepseek',
      latencyMs: { min: 0, max: 0 },
      streamFailAfter: 2,
    })
    const p = deepseek({ baseURL: sim.url })
    const got: string[] = []
    const e = await (async () => {
      for await (const c of p.stream({ model: 'deepseek-chat', messages }))
        got.push(c.choices[0]?.delta.content ?? '')
    })().catch((x) => x)
    expect(got.length).toBeGreaterThan(0)
    expect(SluiceError.is(e, 'provider_error')).toBe(true)
    await sim.close()
  })

  it('times out with a retryable timeout error, and honours an abort signal', async () => {
    const slow = await startSimulator({ profile: 'deepseek', latencyMs: { min: 300, max: 300 } })
    const p = openAICompatible({
      name: 'slow',
      baseURL: slow.url,
      defaultModel: 'deepseek-chat',
      timeout: 50,
    })
    await expect(p.chat({ model: 'deepseek-chat', messages })).rejects.toMatchObject({
      code: 'timeout',
      retryable: true,
    })
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 20)
    await expect(
      p.chat({ model: 'deepseek-chat', messages }, { signal: ac.signal, timeoutMs: 5000 }),
    ).rejects.toMatchObject({ code: 'cancelled' })
    await slow.close()
  })

  it("the timeout covers the body of a chat answer, and the caller's signal reaches it too", async () => {
    // Headers and half an answer, then nothing: a provider stalled mid-body.
    const stalled = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"id":"x","choices":[')
    })
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve))
    const { port } = stalled.address() as AddressInfo
    const p = openAICompatible({
      name: 'stalled',
      baseURL: `http://127.0.0.1:${port}/v1`,
      defaultModel: 'm',
      timeout: 100,
    })
    await expect(p.chat({ model: 'm', messages })).rejects.toMatchObject({ code: 'timeout', retryable: true })
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 50)
    await expect(
      p.chat({ model: 'm', messages }, { signal: ac.signal, timeoutMs: 60_000 }),
    ).rejects.toMatchObject({
      code: 'cancelled',
    })
    stalled.closeAllConnections()
    await new Promise((resolve) => stalled.close(resolve))
  })

  it('a long-lived caller signal is left as it was after each call and stream', async () => {
    const p = deepseek({ baseURL: ds.url, apiKey: 'k' })
    const shutdown = new AbortController()
    for (let i = 0; i < 5; i++) {
      await p.chat({ model: 'deepseek-chat', messages }, { signal: shutdown.signal })
      for await (const _ of p.stream({ model: 'deepseek-chat', messages }, { signal: shutdown.signal }));
    }
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0)
  })

  it('network failures are retryable provider errors', async () => {
    const p = openAICompatible({ name: 'nowhere', baseURL: 'http://127.0.0.1:1/v1', defaultModel: 'm' })
    await expect(p.chat({ model: 'm', messages })).rejects.toMatchObject({
      code: 'provider_error',
      retryable: true,
    })
  })

  it('refuses bad provider options with invalid_config naming the field', () => {
    expect(() => openAICompatible({ name: 'x', baseURL: 'not a url', defaultModel: 'm' })).toThrowError(
      expect.objectContaining({ code: 'invalid_config', path: 'provider.baseURL' }),
    )
  })
})

describe('Retry-After parsing', () => {
  it('reads seconds, HTTP dates, retry-after-ms and Groq reset durations', () => {
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': '3' }))).toBe(3000)
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4000)).toBe(
      6000,
    )
    expect(retryAfterFromHeaders(new Headers({ 'retry-after-ms': '120' }))).toBe(120)
    expect(
      retryAfterFromHeaders(
        new Headers({ 'x-ratelimit-reset-requests': '2m59.56s', 'x-ratelimit-reset-tokens': '7.66s' }),
      ),
    ).toBe(179_560)
    expect(parseResetDuration('120ms')).toBe(120)
    expect(parseResetDuration('soon')).toBeUndefined()
    expect(retryAfterFromHeaders(new Headers())).toBeUndefined()
  })
})
