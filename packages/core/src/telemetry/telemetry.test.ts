import * as otel from '@opentelemetry/api'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { deepseek } from '../providers/deepseek'
import { groq } from '../providers/groq'
import { createSluice } from '../sluice/create-sluice'

const exporter = new InMemorySpanExporter()
let primary: Simulator
let fallback: Simulator
beforeAll(async () => {
  otel.trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  )
  primary = await startSimulator({ profile: 'deepseek', latencyMs: { min: 5, max: 5 } })
  fallback = await startSimulator({ profile: 'groq', latencyMs: { min: 5, max: 5 }, rpm: 0, tpm: 0 })
})
afterAll(async () => {
  otel.trace.disable()
  await primary.close()
  await fallback.close()
})
beforeEach(() => {
  exporter.reset()
  primary.setOutage(false)
})

const build = () =>
  createSluice({
    providers: [
      deepseek({ baseURL: primary.url, apiKey: 'k' }),
      groq({ baseURL: fallback.url, apiKey: 'k', modelMap: { 'deepseek-chat': 'llama-3.3-70b-versatile' } }),
    ],
    tiers: { free: { limits: { chat: { limit: 2, window: '1m' } }, budget: { daily: 1 } } },
    retry: { retries: 1, minTimeout: 5, maxTimeout: 10 },
    telemetry: { otel },
  })
const ask = (content: string) => ({ model: 'deepseek-chat', messages: [{ role: 'user' as const, content }] })
const spans = () => exporter.getFinishedSpans()
const calls = () => spans().filter((s) => s.name.startsWith('sluice '))
const attemptsOf = (parent: ReadableSpan) =>
  spans().filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId)

describe('OpenTelemetry', () => {
  it('one span per call with GenAI and Sluice attributes, a CLIENT child per upstream attempt', async () => {
    const sluice = build()
    const res = await sluice.chat(ask('hello'), { userId: 'u', tier: 'free', endpoint: 'chat' })
    const [call] = calls()
    expect(calls().length).toBe(1)
    expect(call!.name).toBe('sluice chat deepseek-chat')
    expect(call!.kind).toBe(otel.SpanKind.INTERNAL)
    expect(call!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'deepseek-chat',
      'gen_ai.provider.name': 'deepseek',
      'gen_ai.usage.input_tokens': res.usage!.prompt_tokens,
      'gen_ai.usage.output_tokens': res.usage!.completion_tokens,
      'sluice.user.tier': 'free',
      'sluice.endpoint': 'chat',
      'sluice.cached': false,
      'sluice.coalesced': false,
      'sluice.cost_usd': res.sluice.costUsd,
      'sluice.outcome': 'ok',
    })
    const attempts = attemptsOf(call!)
    expect(attempts.map((s) => [s.name, s.kind, s.attributes['gen_ai.provider.name']])).toEqual([
      ['chat deepseek-chat', otel.SpanKind.CLIENT, 'deepseek'],
    ])
    await sluice.close()
  })

  it('retries and a fallback are child spans, failed ones marked; a cache hit has none', async () => {
    const sluice = build()
    primary.setOutage(true)
    const res = await sluice.chat(ask('during the outage'), { userId: 'u', tier: 'free', endpoint: 'chat' })
    expect(res.sluice.provider).toBe('groq')
    const [call] = calls()
    const attempts = attemptsOf(call!).sort(
      (a, b) => Number(a.attributes['sluice.attempt']) - Number(b.attributes['sluice.attempt']),
    )
    expect(attempts.map((s) => [s.attributes['gen_ai.provider.name'], s.status.code])).toEqual([
      ['deepseek', otel.SpanStatusCode.ERROR],
      ['deepseek', otel.SpanStatusCode.ERROR],
      ['groq', otel.SpanStatusCode.UNSET],
    ])
    expect(call!.attributes).toMatchObject({
      'sluice.retries': 1,
      'sluice.fallbacks': 1,
      'gen_ai.provider.name': 'groq',
    })
    exporter.reset()
    const hit = await sluice.chat(ask('during the outage'), { userId: 'v', tier: 'free', endpoint: 'chat' })
    expect(hit.sluice.cached).toBe(true)
    expect(calls()[0]!.attributes['sluice.cached']).toBe(true)
    expect(attemptsOf(calls()[0]!)).toEqual([])
    await sluice.close()
  })

  it('a refused call ends its span with an error status and the code; a stream span ends with the stream', async () => {
    const sluice = build()
    for (const text of ['a', 'b'])
      await sluice.chat(ask(text), { userId: 'w', tier: 'free', endpoint: 'chat' })
    await expect(
      sluice.chat(ask('c'), { userId: 'w', tier: 'free', endpoint: 'chat' }),
    ).rejects.toMatchObject({
      code: 'rate_limited',
    })
    const refused = calls().at(-1)!
    expect(refused.status.code).toBe(otel.SpanStatusCode.ERROR)
    expect(refused.attributes).toMatchObject({
      'sluice.outcome': 'rate_limited',
      'error.type': 'rate_limited',
    })
    expect(attemptsOf(refused)).toEqual([])
    exporter.reset()
    let text = ''
    for await (const chunk of sluice.stream(ask('stream me'), { userId: 'x', endpoint: 'chat' })) {
      expect(calls().length).toBe(0) // not ended while the stream runs
      text += chunk.choices[0]?.delta.content ?? ''
    }
    const [streamed] = calls()
    expect(text.length).toBeGreaterThan(0)
    expect(streamed!.attributes).toMatchObject({ 'sluice.stream': true, 'sluice.outcome': 'ok' })
    expect(Number(streamed!.attributes['gen_ai.usage.output_tokens'])).toBeGreaterThan(0)
    expect(attemptsOf(streamed!).length).toBe(1)
    await sluice.close()
  })

  it("an attempt's span says what it drew on its provider's capacity; a 429 is its status code", async () => {
    const full = await startSimulator({
      profile: 'groq',
      latencyMs: { min: 2, max: 2 },
      rpm: 2,
      tpm: 0,
      windowMs: 1_000,
    })
    try {
      const sluice = createSluice({
        providers: [groq({ baseURL: full.url, apiKey: 'k' })],
        capacity: { window: 1_000, maxWait: '5s' },
        telemetry: { otel },
      })
      // Another client of the same account fills the provider's window first.
      const other = groq({ baseURL: full.url, apiKey: 'k' })
      const question = {
        model: 'llama-3.3-70b-versatile',
        messages: [{ role: 'user' as const, content: 'hi' }],
      }
      for (let i = 0; i < 2; i++) await other.chat(question)
      const res = await sluice.chat(question, { userId: 'u' })
      expect(res.sluice.capacityWaitMs).toBeGreaterThan(0)
      const [call] = calls()
      const [refused, answered] = attemptsOf(call!).sort(
        (a, b) => Number(a.attributes['sluice.attempt']) - Number(b.attributes['sluice.attempt']),
      )
      expect(refused!.attributes).toMatchObject({
        'http.response.status_code': 429,
        'sluice.capacity.remaining_requests': 0,
      })
      // It waited out the provider's reset, then went: one of the window's two requests is left.
      expect(Number(answered!.attributes['sluice.capacity.wait_ms'])).toBeGreaterThan(100)
      expect(answered!.attributes['sluice.capacity.remaining_requests']).toBe(1)
      expect(call!.attributes['sluice.capacity_wait_ms']).toBe(res.sluice.capacityWaitMs)
      await sluice.close()
    } finally {
      await full.close()
    }
  })

  it('a stream continued on the fallback says so on its span: how often, where, after how many characters', async () => {
    const text = 'A continued answer, joined at its seam.'
    const cut = await startSimulator({
      profile: 'deepseek',
      latencyMs: { min: 1, max: 1 },
      answerText: text,
      streamChunkChars: 5,
      streamFailAfter: 3,
    })
    const rest = await startSimulator({
      profile: 'groq',
      latencyMs: { min: 1, max: 1 },
      answerText: text,
      rpm: 0,
      tpm: 0,
    })
    try {
      const sluice = createSluice({
        providers: [
          deepseek({ baseURL: cut.url, apiKey: 'k' }),
          groq({ baseURL: rest.url, apiKey: 'k', modelMap: { 'deepseek-chat': 'llama-3.3-70b-versatile' } }),
        ],
        retry: { retries: 0 },
        telemetry: { otel },
      })
      let got = ''
      for await (const c of sluice.stream(ask('continue me'), { userId: 'u' }))
        got += c.choices[0]?.delta.content ?? ''
      expect(got).toBe(text)
      expect(calls()[0]!.attributes).toMatchObject({
        'sluice.stream.continued': 1,
        'sluice.stream.continued_on': 'groq',
        'sluice.stream.continued_after_chars': 15,
        'gen_ai.provider.name': 'groq',
      })
      await sluice.close()
    } finally {
      await cut.close()
      await rest.close()
    }
  })

  it('costs nothing when not configured: no tracer is asked for', async () => {
    exporter.reset()
    const sluice = createSluice({ providers: [deepseek({ baseURL: primary.url, apiKey: 'k' })] })
    await sluice.chat(ask('untraced'), { userId: 'u' })
    expect(spans()).toEqual([])
    expect(sluice.middlewares()).not.toContain('telemetry')
    await sluice.close()
  })

  it("each call of a batch has its span, marked batched, with the batch's upstream attempt as its child", async () => {
    const sluice = createSluice({
      providers: [deepseek({ baseURL: primary.url, apiKey: 'k' })],
      batch: { translate: { groupBy: () => 'fr', maxSize: 3, windowMs: 200 } },
      telemetry: { otel },
    })
    await Promise.all(
      ['one', 'two', 'three'].map((t) =>
        sluice.chat(ask(`translate ${t}`), { userId: 'b', endpoint: 'translate' }),
      ),
    )
    const batched = calls()
    expect(batched.length).toBe(3)
    for (const call of batched) {
      expect(call.attributes).toMatchObject({
        'sluice.batched': true,
        'sluice.batch.size': 3,
        'sluice.outcome': 'ok',
      })
      expect(attemptsOf(call).length).toBe(1)
    }
    await sluice.close()
  })
})
