import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterEach, describe, expect, it } from 'vitest'
import { SluiceError } from '../errors/sluice-error'
import { deepseek } from '../providers/deepseek'
import { groq } from '../providers/groq'
import type { Provider } from '../providers/types'
import { MAX_BREAKERS } from './circuit/circuits'
import { ResilientAgent } from './resilient-agent'

const sims: Simulator[] = []
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()))
})
async function sim(options: Parameters<typeof startSimulator>[0]) {
  const s = await startSimulator({ latencyMs: { min: 0, max: 1 }, rpm: 0, tpm: 0, ...options })
  sims.push(s)
  return s
}
const request = { model: 'deepseek-chat', messages: [{ role: 'user' as const, content: 'hi' }] }
const fast = { retries: 2, minTimeout: 1, maxTimeout: 5 }
// Groq takes DeepSeek's requests when it stands in for it.
const toLlama = { modelMap: { 'deepseek-chat': 'llama-3.3-70b-versatile' } }

describe('ResilientAgent', () => {
  it('retries transient failures on the same provider', async () => {
    const ds = await sim({ profile: 'deepseek', errorRate: 1 })
    const agent = new ResilientAgent({
      providers: [deepseek({ baseURL: ds.url })],
      retry: fast,
      breaker: { failureThreshold: 100 },
    })
    let retries = 0
    agent.events.on('retry', () => {
      retries++
      ds.setErrorRate(0) // the provider recovers after the first failure
    })
    const res = await agent.chat(request)
    expect(res.provider).toBe('deepseek')
    expect(res.attempts).toBe(2)
    expect(retries).toBe(res.retries)
    agent.close()
  })

  it('never retries a 400-class error, and does not fall back on a bad request', async () => {
    const ds = await sim({ profile: 'deepseek' })
    const gq = await sim({ profile: 'groq' })
    const agent = new ResilientAgent({
      providers: [deepseek({ baseURL: ds.url }), groq({ baseURL: gq.url, ...toLlama })],
      retry: fast,
    })
    const e = await agent.chat({ model: 'deepseek-chat', messages: [] }).catch((x) => x)
    expect(e).toMatchObject({ code: 'provider_error', status: 400 })
    expect(ds.stats.requests).toBe(1)
    expect(gq.stats.requests).toBe(0)
    agent.close()
  })

  it('falls back in order when the primary is down, and the breaker opens', async () => {
    const ds = await sim({ profile: 'deepseek' })
    const gq = await sim({ profile: 'groq' })
    ds.setOutage(true)
    const agent = new ResilientAgent({
      providers: [deepseek({ baseURL: ds.url }), groq({ baseURL: gq.url, ...toLlama })],
      retry: fast,
      breaker: { failureThreshold: 3, resetTimeout: '60s' },
    })
    const events: string[] = []
    agent.events.on('breaker:open', ({ name }) => events.push(`open:${name}`))
    agent.events.on('fallback', ({ from, to }) => events.push(`${from}->${to}`))
    for (let i = 0; i < 4; i++) {
      const res = await agent.chat(request)
      expect(res.provider).toBe('groq')
      expect(res.value.model).toBe('llama-3.3-70b-versatile')
    }
    expect(events).toContain('open:deepseek')
    expect(agent.breakerStates()).toMatchObject({ deepseek: 'open', groq: 'closed' })
    // Once open, the primary is skipped without being called.
    const before = ds.stats.requests
    await agent.chat(request)
    expect(ds.stats.requests).toBe(before)
    agent.close()
  })

  it('half-opens after the reset timeout and closes on a good probe', async () => {
    const ds = await sim({ profile: 'deepseek' })
    ds.setOutage(true)
    const agent = new ResilientAgent({
      providers: [deepseek({ baseURL: ds.url })],
      retry: { retries: 0 },
      breaker: { failureThreshold: 2, resetTimeout: 200 },
    })
    for (let i = 0; i < 2; i++) await agent.chat(request).catch(() => {})
    const open = await agent.chat(request).catch((x) => x)
    expect(SluiceError.is(open, 'circuit_open')).toBe(true)
    expect(open.retryAfterMs).toBeLessThanOrEqual(200)
    ds.setOutage(false)
    await new Promise((r) => setTimeout(r, 250))
    expect((await agent.chat(request)).provider).toBe('deepseek')
    expect(agent.breakerStates().deepseek).toBe('closed')
    agent.close()
  })

  it('honours Retry-After, and skips ahead when it is longer than maxRetryAfter', async () => {
    const gq = await sim({ profile: 'groq', rpm: 1 })
    const ds = await sim({ profile: 'deepseek' })
    const agent = new ResilientAgent({
      providers: [groq({ baseURL: gq.url, ...toLlama }), deepseek({ baseURL: ds.url })],
      retry: { ...fast, maxRetryAfter: '5s' },
    })
    await agent.chat(request)
    const res = await agent.chat(request) // Retry-After is ~60s: fall back at once instead of waiting
    expect(res.provider).toBe('deepseek')
    expect(res.retries).toBe(0)
    expect(gq.stats).toMatchObject({ requests: 2, rateLimited: 1 })
    agent.close()
  })

  it('waits a short Retry-After and retries the same target', async () => {
    const agent = new ResilientAgent({ retry: fast })
    let calls = 0
    const waits: number[] = []
    agent.events.on('retry', ({ error }) => waits.push((error as SluiceError).retryAfterMs ?? -1))
    const res = await agent.run([
      {
        name: 'busy',
        run: async () => {
          calls++
          if (calls === 1)
            throw new SluiceError('provider_error', 'busy', {
              status: 429,
              retryable: true,
              retryAfterMs: 30,
            })
          return 'done'
        },
      },
    ])
    expect(res).toMatchObject({ value: 'done', provider: 'busy', attempts: 2, retries: 1, fallbacks: 0 })
    expect(waits).toEqual([30])
    agent.close()
  })

  it('streams: falls back before the first token, fails loudly after it', async () => {
    const broken = await sim({ profile: 'deepseek' })
    broken.setOutage(true)
    const gq = await sim({ profile: 'groq' })
    const agent = new ResilientAgent({
      providers: [deepseek({ baseURL: broken.url }), groq({ baseURL: gq.url, ...toLlama })],
      retry: fast,
    })
    let text = ''
    for await (const c of agent.stream(request)) text += c.choices[0]?.delta.content ?? ''
    expect(text).toContain('llama')

    const cut = await sim({ profile: 'deepseek', streamFailAfter: 2 })
    const gq2 = await sim({ profile: 'groq' })
    const agent2 = new ResilientAgent({
      providers: [deepseek({ baseURL: cut.url }), groq({ baseURL: gq2.url, ...toLlama })],
      retry: fast,
    })
    const e = await (async () => {
      for await (const _ of agent2.stream(request)) {
      }
    })().catch((x) => x)
    expect(e).toMatchObject({ code: 'provider_error', details: { partial: true } })
    expect(gq2.stats.requests).toBe(0)
    agent.close()
    agent2.close()
  })

  it('wraps any call: per-attempt timeout, retry, then the error', async () => {
    const agent = new ResilientAgent({ retry: fast, timeout: 30 })
    let calls = 0
    const e = await agent
      .run([
        {
          name: 'mine',
          run: () =>
            new Promise((r) => {
              calls++
              setTimeout(r, 200)
            }),
        },
      ])
      .catch((x) => x)
    expect(e).toMatchObject({ code: 'timeout', provider: 'mine' })
    expect(calls).toBe(3)
    agent.close()
  })

  it('a provider that never answers and ignores its signal: the attempt ends at its timeout, and the next provider answers', async () => {
    const gq = await sim({ profile: 'groq' })
    let asked = 0
    const silent: Provider = {
      name: 'silent',
      models: ['deepseek-chat'],
      defaultModel: 'deepseek-chat',
      chat: () => {
        asked++
        return new Promise(() => {})
      },
      async *stream() {
        await new Promise(() => {})
      },
    }
    const agent = new ResilientAgent({
      providers: [silent, groq({ baseURL: gq.url, ...toLlama })],
      retry: { retries: 0 },
      timeout: 50,
    })
    const failures: unknown[] = []
    agent.events.on('fallback', ({ error }) => void failures.push(error))
    const res = await agent.chat(request)
    expect(res.provider).toBe('groq')
    expect(asked).toBe(1)
    expect(failures).toMatchObject([{ code: 'timeout', provider: 'silent', retryable: true }])
    let text = ''
    for await (const c of agent.stream(request)) text += c.choices[0]?.delta.content ?? ''
    expect(text.length).toBeGreaterThan(0)
    expect(failures).toHaveLength(2)
  })

  it('keeps a bounded number of breakers when apps wrap calls under many names', async () => {
    const agent = new ResilientAgent({ retry: { retries: 0 } })
    for (let i = 0; i < MAX_BREAKERS + 50; i++)
      await agent.run([{ name: `endpoint-${i}`, run: async () => i }])
    expect(Object.keys(agent.breakerStates()).length).toBe(MAX_BREAKERS)
    agent.close()
  })
})
