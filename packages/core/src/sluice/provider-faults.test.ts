import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterEach, describe, expect, it } from 'vitest'
import { SluiceError } from '../errors/sluice-error'
import { toHttp } from '../errors/to-http'
import { deepseek } from '../providers/deepseek'
import { groq } from '../providers/groq'
import { openAICompatible } from '../providers/openai-compatible'
import type { ChatChunk, ChatCompletion, Provider } from '../providers/types'
import { ResilientAgent } from '../resilience/resilient-agent'
import { createSluice } from './create-sluice'

const sims: Simulator[] = []
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()))
})
async function sim(options: Parameters<typeof startSimulator>[0]) {
  const s = await startSimulator({ latencyMs: { min: 0, max: 1 }, rpm: 0, tpm: 0, ...options })
  sims.push(s)
  return s
}
const toLlama = { modelMap: { 'deepseek-chat': 'llama-3.3-70b-versatile' } }
const ask = (content: string) => ({ model: 'deepseek-chat', messages: [{ role: 'user' as const, content }] })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('provider faults', () => {
  it('a flapping primary opens its breaker again after failureThreshold real failures', async () => {
    const ds = await sim({ profile: 'deepseek' })
    const agent = new ResilientAgent({
      providers: [deepseek({ baseURL: ds.url })],
      retry: { retries: 0 },
      breaker: { failureThreshold: 5, errorPercentage: 50, resetTimeout: 150, rollingWindow: '10s' },
    })
    const failUntilOpen = async () => {
      const before = ds.stats.requests
      for (let i = 0; i < 200 && agent.breakerStates().deepseek !== 'open'; i++)
        await agent.chat(ask('x')).catch(() => {})
      return ds.stats.requests - before
    }
    ds.setOutage(true)
    expect(await failUntilOpen()).toBe(5)
    // Short-circuited calls while open are not attempts: they reach neither the provider nor the window.
    const before = ds.stats.requests
    for (let i = 0; i < 80; i++)
      await expect(agent.chat(ask('x'))).rejects.toMatchObject({ code: 'circuit_open' })
    expect(ds.stats.requests).toBe(before)
    ds.setOutage(false)
    await sleep(200)
    expect((await agent.chat(ask('probe'))).provider).toBe('deepseek')
    expect(agent.breakerStates().deepseek).toBe('closed')
    // It fails again: after the recovery, five real failures open it, not eighty.
    ds.setOutage(true)
    expect(await failUntilOpen()).toBe(5)
    agent.close()
  })

  it('refuses a 5 MB prompt before anything is sent, retried or counted (413)', async () => {
    const ds = await sim({ profile: 'deepseek' })
    const gq = await sim({ profile: 'groq' })
    const sluice = createSluice({
      providers: [deepseek({ baseURL: ds.url }), groq({ baseURL: gq.url, ...toLlama })],
      limits: { ask: { limit: 100, window: '1m' } },
      breaker: { failureThreshold: 2 },
    })
    const huge = ask('x'.repeat(5_000_000))
    for (let i = 0; i < 5; i++) {
      const e = await sluice.chat(huge, { userId: 'big', endpoint: 'ask' }).catch((x) => x)
      expect(e).toMatchObject({ code: 'invalid_request', path: 'request' })
      expect(toHttp(e).status).toBe(413)
    }
    expect(ds.stats.requests + gq.stats.requests).toBe(0)
    expect((await sluice.limiter.limit({ userId: 'big', endpoint: 'ask' })).remaining).toBe(99)
    expect(sluice.agent.breakerStates()).toEqual({ deepseek: 'closed', groq: 'closed' })
    await sluice.close()
  })

  it('a connection dropped on an oversized body is neither retried, nor sent to the fallback, nor counted', async () => {
    const ds = await sim({ profile: 'deepseek', maxBodyChars: 300_000 })
    const gq = await sim({ profile: 'groq' })
    const sluice = createSluice({
      providers: [deepseek({ baseURL: ds.url }), groq({ baseURL: gq.url, ...toLlama })],
      maxRequestBytes: 10_000_000, // the app allows big prompts; this provider does not
      breaker: { failureThreshold: 2 },
      retry: { retries: 3, minTimeout: 1, maxTimeout: 5 },
    })
    for (let i = 0; i < 6; i++) {
      const e = await sluice.chat(ask(`${i} ${'y'.repeat(400_000)}`), { userId: 'big' }).catch((x) => x)
      expect(SluiceError.is(e, 'provider_error')).toBe(true)
      expect(e.details.requestCaused).toBe(true)
      expect(toHttp(e).status).toBe(413)
    }
    expect(ds.stats.requests).toBe(6) // one attempt each
    expect(gq.stats.requests).toBe(0)
    expect(sluice.agent.breakerStates()).toEqual({ deepseek: 'closed', groq: 'closed' })
    expect((await sluice.chat(ask('small'), { userId: 'other' })).sluice.provider).toBe('deepseek')
    await sluice.close()
  })

  it('refuses a model no provider serves: deepseek-caht is not answered by deepseek-chat', async () => {
    const ds = await sim({ profile: 'deepseek' })
    const gq = await sim({ profile: 'groq' })
    const sluice = createSluice({
      providers: [deepseek({ baseURL: ds.url }), groq({ baseURL: gq.url })],
      limits: { ask: { limit: 3, window: '1m' } },
      retry: { retries: 1, minTimeout: 1, maxTimeout: 2 },
    })
    const e = await sluice
      .chat({ ...ask('hi'), model: 'deepseek-caht' }, { userId: 'u', endpoint: 'ask' })
      .catch((x) => x)
    expect(e).toMatchObject({ code: 'invalid_request', path: 'request.model' })
    expect(ds.stats.requests + gq.stats.requests).toBe(0)
    expect((await sluice.limiter.limit({ userId: 'u', endpoint: 'ask' })).remaining).toBe(2) // nothing counted
    // Without a model map, Groq does not stand in for DeepSeek: an outage fails, it is not rerouted.
    ds.setOutage(true)
    await expect(sluice.chat(ask('down'), { userId: 'u2', cache: false })).rejects.toMatchObject({
      code: 'provider_error',
    })
    expect(gq.stats.requests).toBe(0)
    await sluice.close()
  })

  it("a provider's 429 with a 60 s Retry-After reaches the app's client as 503 with Retry-After", async () => {
    const gq = await sim({ profile: 'groq', rpm: 1 })
    // Without capacity pacing the provider's own 429 comes through (after no retry: 60 s > 5 s).
    const sluice = createSluice({
      providers: [groq({ baseURL: gq.url })],
      retry: { maxRetryAfter: '5s' },
      capacity: { enabled: false },
    })
    const model = { model: 'llama-3.1-8b-instant', messages: [{ role: 'user' as const, content: 'a' }] }
    await sluice.chat(model, { userId: 'u', cache: false })
    const e = await sluice.chat(model, { userId: 'u', cache: false }).catch((x) => x)
    expect(e).toMatchObject({ code: 'provider_error', status: 429 })
    const http = toHttp(e)
    expect(http.status).toBe(503)
    expect(Number(http.headers['Retry-After'])).toBeGreaterThan(5)
    await sluice.close()
  })

  it('a provider that is full: the call is refused before anything is sent, as capacity_exceeded (503 + Retry-After)', async () => {
    const gq = await sim({ profile: 'groq', rpm: 1 })
    const sluice = createSluice({ providers: [groq({ baseURL: gq.url })], capacity: { maxWait: '2s' } })
    const model = { model: 'llama-3.1-8b-instant', messages: [{ role: 'user' as const, content: 'a' }] }
    await sluice.chat(model, { userId: 'u', cache: false }) // learns 1 RPM from the headers
    const e = await sluice.chat(model, { userId: 'u', cache: false }).catch((x) => x)
    expect(e).toMatchObject({ code: 'capacity_exceeded', provider: 'groq' })
    expect(gq.stats).toMatchObject({ requests: 1, rateLimited: 0 }) // nothing sent into the full window
    const http = toHttp(e)
    expect(http.status).toBe(503)
    expect(Number(http.headers['Retry-After'])).toBeGreaterThan(2)
    expect(sluice.agent.breakerStates().groq).toBe('closed')
    await sluice.close()
  })

  it('redacts credentials from upstream text; end users never see upstream text by default', async () => {
    const key = 'sk-secret-4f9a8b7c6d5e4f3a'
    const leaky = async (_url: unknown, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get('authorization')
      const body = {
        error: { message: `upstream exploded; request had ${auth}; key=${key}; see sk-other-99999999999` },
      }
      return new Response(JSON.stringify(body), {
        status: 500,
        headers: { 'content-type': 'application/json' },
      })
    }
    const lines: string[] = []
    const log = (m: string, f?: Record<string, unknown>) => lines.push(`${m} ${JSON.stringify(f ?? {})}`)
    const sluice = createSluice({
      providers: [
        openAICompatible({
          name: 'leaky',
          baseURL: 'http://x.invalid/v1',
          defaultModel: 'm',
          apiKey: key,
          fetch: leaky as typeof fetch,
        }),
      ],
      retry: { retries: 1, minTimeout: 1, maxTimeout: 2 },
      logger: { debug: log, info: log, warn: log },
    })
    const events: unknown[] = []
    sluice.on('retry', (e) => events.push(e))
    const e = await sluice
      .chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, { userId: 'u' })
      .catch((x) => x)
    expect(SluiceError.is(e, 'provider_error')).toBe(true)
    const everything = [
      e.message,
      JSON.stringify(e),
      ...lines,
      ...events.map((x) => `${(x as { error: Error }).error.message}`),
    ]
    for (const text of everything) {
      expect(text).not.toContain(key)
      expect(text).not.toContain('sk-other-99999999999')
    }
    expect(lines.length).toBeGreaterThan(0)
    const http = toHttp(e)
    expect(http.status).toBe(502)
    expect(JSON.stringify(http.body)).not.toContain('exploded')
    expect(JSON.stringify(http.body)).not.toContain('leaky')
    expect(JSON.stringify(toHttp(e, { expose: true }).body)).toContain('exploded')
    await sluice.close()
  })

  it('an answer that is not a chat completion is a provider failure: the next provider answers, and nothing malformed is kept', async () => {
    const gq = await sim({ profile: 'groq' })
    const odd = (answer: unknown, chunks: unknown[]): Provider => ({
      name: 'odd',
      models: ['deepseek-chat'],
      defaultModel: 'deepseek-chat',
      chat: async () => answer as ChatCompletion,
      async *stream() {
        for (const c of chunks) yield c as ChatChunk
      },
    })
    const chunk = {
      id: 's',
      object: 'chat.completion.chunk',
      created: 0,
      model: 'm',
      choices: [{ index: 0, delta: { content: 'half' }, finish_reason: null }],
    }
    for (const [answer, chunks] of [
      ['hello', ['hello']],
      [null, [null]],
      [{ choices: 'x' }, [{}]],
    ] as const) {
      const sluice = createSluice({
        providers: [odd(answer, [...chunks]), groq({ baseURL: gq.url, ...toLlama })],
        retry: { retries: 0 },
      })
      const chat = await sluice.chat(ask(`chat ${String(answer)}`), { userId: 'u' })
      expect(chat.sluice).toMatchObject({ provider: 'groq', fallbacks: 1 })
      expect(chat.choices[0]?.message.content).toBeTruthy()
      let text = ''
      for await (const c of sluice.stream(ask(`stream ${String(answer)}`), { userId: 'u' }))
        text += c.choices[0]?.delta.content ?? ''
      expect(text.length).toBeGreaterThan(0) // the first chunk was not one: groq streamed instead
      await sluice.close()
    }
    // Mid-stream: a chunk that is not one ends the stream with provider_error, and nothing is cached.
    const sluice = createSluice({ providers: [odd(null, [chunk, 42])], retry: { retries: 0 } })
    const got: string[] = []
    const e = await (async () => {
      for await (const c of sluice.stream(ask('mid'), { userId: 'u' }))
        got.push(c.choices[0]?.delta.content ?? '')
    })().catch((x) => x)
    expect(got).toEqual(['half'])
    expect(e).toMatchObject({ code: 'provider_error', details: { partial: true } })
    expect(await sluice.cache.get('default', ask('mid'), { userId: 'u' })).toBeUndefined()
    await sluice.close()
    const whole = createSluice({ providers: [odd(null, [chunk])], retry: { retries: 0 } })
    for await (const _ of whole.stream(ask('mid'), { userId: 'u' }));
    expect(await whole.cache.get('default', ask('mid'), { userId: 'u' })).toBeDefined() // where it would be
    await whole.close()
  })
})
