import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import OpenAI from 'openai'
import { afterEach, describe, expect, it } from 'vitest'
import { goDuration } from './minute-limits'
import { type Simulator, startSimulator } from './simulator'

const sims: Simulator[] = []
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()))
})
async function sim(options: Parameters<typeof startSimulator>[0]) {
  const s = await startSimulator({ latencyMs: { min: 0, max: 0 }, ...options })
  sims.push(s)
  return s
}
const post = (s: Simulator, body: unknown) =>
  fetch(`${s.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
const ask = (model: string, content = 'hola') => ({ model, messages: [{ role: 'user', content }] })

describe('simulator', () => {
  it('never answers more completion tokens than max_tokens allows, and says when it cut', async () => {
    const s = await sim({ profile: 'deepseek' })
    const prompts = ['hola', 'Translate to French: the weather is nice today', 'x'.repeat(400)]
    for (const max of [1, 2, 5, 10, 20, 28, 50, 200]) {
      for (const content of prompts) {
        const res = await post(s, { ...ask('deepseek-chat', content), max_tokens: max })
        const body = await res.json()
        expect(body.usage.completion_tokens).toBeLessThanOrEqual(max)
        const reason = body.choices[0].finish_reason
        expect(reason === 'length' || reason === 'stop').toBe(true)
        if (reason === 'stop') expect(body.usage.completion_tokens).toBeLessThanOrEqual(max)
      }
    }
    const cut = await (await post(s, { ...ask('deepseek-chat'), max_tokens: 3 })).json()
    expect(cut.choices[0].finish_reason).toBe('length')
    const bad = await post(s, { ...ask('deepseek-chat'), max_tokens: 0 })
    expect(bad.status).toBe(400)
  })

  it('the official openai client talks to it: chat, usage, streams and typed errors', async () => {
    const s = await sim({ profile: 'groq', rpm: 3, tpm: 0 })
    const client = new OpenAI({ baseURL: s.url, apiKey: 'test', maxRetries: 0 })
    const res = await client.chat.completions.create({
      model: 'llama-3.1-8b-instant',
      messages: [{ role: 'user', content: 'Translate: good morning' }],
      max_tokens: 10,
    })
    expect(res.choices[0]?.message.content).toBeTruthy()
    expect(res.usage?.completion_tokens).toBeLessThanOrEqual(10)
    let text = ''
    let usage: unknown
    const stream = await client.chat.completions.create({
      model: 'llama-3.1-8b-instant',
      messages: [{ role: 'user', content: 'hola' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      if (chunk.usage) usage = chunk.usage
    }
    expect(text.length).toBeGreaterThan(0)
    expect(usage).toMatchObject({ completion_tokens: expect.any(Number) })
    await client.chat.completions.create({
      model: 'llama-3.1-8b-instant',
      messages: [{ role: 'user', content: 'x' }],
    })
    const limited = await client.chat.completions
      .create({ model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: 'y' }] })
      .catch((e) => e)
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  it('answers deterministically: same seed and prompt, same answer and usage', async () => {
    const a = await sim({ profile: 'deepseek', seed: 5 })
    const b = await sim({ profile: 'deepseek', seed: 5 })
    const [ra, rb] = await Promise.all([post(a, ask('deepseek-chat')), post(b, ask('deepseek-chat'))])
    const [ja, jb] = await Promise.all([ra.json(), rb.json()])
    expect(ja.choices).toEqual(jb.choices)
    expect(ja.usage).toEqual(jb.usage)
    expect(ja.usage).toMatchObject({
      prompt_cache_hit_tokens: 0,
      prompt_cache_miss_tokens: ja.usage.prompt_tokens,
    })
  })

  it('Groq profile: RPM limit answers 429 with Retry-After and x-ratelimit-* headers', async () => {
    const s = await sim({ profile: 'groq', rpm: 2, tpm: 0 })
    const ok = await post(s, ask('llama-3.1-8b-instant'))
    expect(ok.status).toBe(200)
    expect(ok.headers.get('x-ratelimit-remaining-requests')).toBe('1')
    expect(ok.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d+)?s$|^\dm/)
    await post(s, ask('llama-3.1-8b-instant'))
    const limited = await post(s, ask('llama-3.1-8b-instant'))
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(s.stats).toMatchObject({ requests: 3, ok: 2, rateLimited: 1 })
  })

  it('TPM limit counts prompt and max_tokens', async () => {
    const s = await sim({ profile: 'groq', rpm: 0, tpm: 300 })
    expect((await post(s, { ...ask('llama-3.1-8b-instant'), max_tokens: 200 })).status).toBe(200)
    expect((await post(s, { ...ask('llama-3.1-8b-instant'), max_tokens: 200 })).status).toBe(429)
  })

  it('a short window: the limits count per window and start over when it ends', async () => {
    const s = await sim({ profile: 'groq', rpm: 2, tpm: 0, windowMs: 300 })
    const status = async () => (await post(s, ask('llama-3.1-8b-instant'))).status
    expect([await status(), await status(), await status()]).toEqual([200, 200, 429])
    const limited = await post(s, ask('llama-3.1-8b-instant'))
    expect(limited.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+ms$/)
    await new Promise((r) => setTimeout(r, 320))
    expect(await status()).toBe(200)
  })

  it('a concurrency cap answers 429 to a request beyond it in flight, and counts its peak', async () => {
    const s = await sim({ profile: 'deepseek', maxConcurrent: 3, latencyMs: { min: 100, max: 100 } })
    const statuses = await Promise.all(
      Array.from({ length: 5 }, async () => (await post(s, ask('deepseek-chat'))).status),
    )
    expect(statuses.sort()).toEqual([200, 200, 200, 429, 429])
    expect(s.stats).toMatchObject({ concurrencyLimited: 2, peakInFlight: 3 })
    expect((await post(s, ask('deepseek-chat'))).status).toBe(200) // the slots freed as they answered
  })

  it('outage windows and injected errors answer 5xx', async () => {
    const s = await sim({ profile: 'deepseek', outages: [{ start: 0, end: 60_000 }] })
    expect((await post(s, ask('deepseek-chat'))).status).toBe(503)
    s.setOutage(false)
    expect((await post(s, ask('deepseek-chat'))).status).toBe(200)
    s.setErrorRate(1)
    expect((await post(s, ask('deepseek-chat'))).status).toBeGreaterThanOrEqual(500)
    expect(s.stats).toMatchObject({ outageErrors: 1, injectedErrors: 1 })
  })

  it('validates like the real APIs: 400 for a bad body, 404 for an unknown model, 401 for a bad key', async () => {
    const s = await sim({ profile: 'deepseek' })
    expect((await post(s, { model: 'deepseek-chat' })).status).toBe(400)
    expect((await post(s, ask('gpt-9'))).status).toBe(404)
    const keyed = await sim({ profile: 'deepseek', apiKey: 'secret' })
    expect((await post(keyed, ask('deepseek-chat'))).status).toBe(401)
  })

  it('streams SSE ending in [DONE], with usage when asked', async () => {
    const s = await sim({ profile: 'deepseek' })
    const res = await post(s, {
      ...ask('deepseek-chat'),
      stream: true,
      stream_options: { include_usage: true },
    })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const text = await res.text()
    expect(text.trim().endsWith('data: [DONE]')).toBe(true)
    expect(text).toContain('"usage"')
  })

  it('the CLI prints its address and help', async () => {
    const cli = fileURLToPath(new URL('./cli.ts', import.meta.url))
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', cli, '--help'], (e, stdout) =>
        e ? reject(e) : resolve(stdout),
      ),
    )
    expect(out).toContain('--profile deepseek')
  })

  it('formats reset durations the way Groq does', () => {
    expect(goDuration(7660)).toBe('7.66s')
    expect(goDuration(179_560)).toBe('2m59.56s')
    expect(goDuration(120)).toBe('120ms')
  })
})
