import {
  createSluice,
  deepseek,
  type Provider,
  type Sluice,
  SluiceError,
  toHttp,
  withCallContext,
} from '@sluice/core'
import Groq from 'groq-sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sluiceClient } from '../src'
import { appSluice, question, type Rig, rig } from './setup'

let r: Rig
beforeAll(async () => {
  r = await rig()
})
afterAll(() => r.close())
beforeEach(() => r.primary.setOutage(false))

// Each client is pointed nowhere it could reach: its chat calls go to Sluice's providers.
const clients = {
  openai: () => new OpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1' }),
  'groq-sdk': () => new Groq({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9' }),
}

it("the README's drop-in example: one line wraps an existing openai client", async () => {
  const sluice = createSluice({
    providers: [deepseek({ baseURL: r.primary.url, apiKey: 'sim' })],
    tiers: { free: { limits: { default: { limit: 10, window: '1m' } }, budget: { daily: 0.1 } } },
  })
  const openai = sluiceClient(new OpenAI({ baseURL: 'https://api.deepseek.com', apiKey: 'unused' }), sluice)
  const reply = await withCallContext({ userId: 'user-42', tier: 'free' }, () =>
    openai.chat.completions.create({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'Hi' }] }),
  )
  expect(reply.choices[0]?.message.content).toBeTruthy()
  const raw = await withCallContext({ userId: 'user-42', tier: 'free' }, () =>
    openai.chat.completions
      .create({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'Hi' }] })
      .asResponse(),
  )
  expect(raw.status).toBe(200)
  expect(raw.headers.get('x-sluice-cached')).toBe('true')
  expect((await sluice.stats()).requestsTotal).toBe(2) // both counted in Sluice's metrics
  await sluice.close()
})

for (const [name, make] of Object.entries(clients)) {
  describe(`${name} wrapped`, () => {
    let sluice: Sluice
    let client: OpenAI
    beforeEach(() => {
      sluice = appSluice(r)
      client = sluiceClient(make() as OpenAI, sluice)
    })

    it('answers through Sluice; the same question again is a cache hit; the budget is settled at the usage the client sees', async () => {
      const before = r.primary.stats.requests
      const first = await withCallContext({ userId: `${name}-ana`, tier: 'free' }, () =>
        client.chat.completions.create(question('What is a sluice?')),
      )
      expect(first.choices[0]?.message.content).toBeTruthy()
      const { data: again, response } = await withCallContext({ userId: `${name}-bo`, tier: 'free' }, () =>
        client.chat.completions.create(question('What is a sluice?')).withResponse(),
      )
      expect(again.choices[0]?.message.content).toBe(first.choices[0]?.message.content)
      expect(response.headers.get('x-sluice-cached')).toBe('true')
      expect(r.primary.stats.requests - before).toBe(1)
      const spent = await sluice.cost.spend(`${name}-ana`)
      expect(spent).toBeGreaterThan(0)
      expect(spent).toBeCloseTo(sluice.price('deepseek-chat', first.usage!)!, 10)
      await sluice.close()
    })

    it("the 11th call of a user limited to 10 is refused with SluiceError('rate_limited'), 429 in toHttp; nothing goes upstream", async () => {
      await withCallContext({ userId: `${name}-cy`, tier: 'free' }, async () => {
        for (let i = 0; i < 10; i++) await client.chat.completions.create(question(`question ${i}`))
        const before = r.primary.stats.requests
        const refused = await client.chat.completions.create(question('one more')).catch((e: unknown) => e)
        expect(refused).toBeInstanceOf(SluiceError)
        expect(refused).toMatchObject({ code: 'rate_limited' })
        expect(toHttp(refused).status).toBe(429)
        expect(r.primary.stats.requests).toBe(before)
      })
      await sluice.close()
    })

    it("streams with the client's own Stream, and a repeated stream is replayed from the cache as a stream", async () => {
      const read = async (user: string) =>
        withCallContext({ userId: user, tier: 'free' }, async () => {
          const stream = await client.chat.completions.create({
            ...question('Stream me a poem'),
            stream: true,
          })
          let text = ''
          let chunks = 0
          for await (const chunk of stream) {
            text += chunk.choices[0]?.delta.content ?? ''
            chunks++
          }
          return { text, chunks }
        })
      const before = r.primary.stats.requests
      const first = await read(`${name}-dee`)
      expect(first.chunks).toBeGreaterThan(1)
      const replay = await read(`${name}-eve`)
      expect(replay.text).toBe(first.text)
      expect(replay.chunks).toBeGreaterThan(1)
      expect(r.primary.stats.requests - before).toBe(1)
      await sluice.close()
    })

    it('a primary outage falls back to the next provider', async () => {
      r.primary.setOutage(true)
      const res = await withCallContext({ userId: `${name}-fay`, tier: 'free' }, () =>
        client.chat.completions.create(question('During the outage?')),
      )
      expect(res.choices[0]?.message.content).toBeTruthy()
      expect((res as unknown as { sluice: { provider: string } }).sluice.provider).toBe('groq')
      await sluice.close()
    })

    it('a call with no caller is refused, never sent anonymously; a per-call header names one', async () => {
      const refused = await client.chat.completions.create(question('who am I?')).catch((e: unknown) => e)
      expect(refused).toMatchObject({ code: 'invalid_request', path: 'userId' })
      const res = await client.chat.completions.create(question('who am I?'), {
        headers: { 'x-sluice-user-id': `${name}-gus`, 'x-sluice-tier': 'free' },
      })
      expect(res.choices[0]?.message.content).toBeTruthy()
      await sluice.close()
    })

    it('a stream cut after its first chunk throws the SluiceError from its iteration', async () => {
      const broken: Provider = {
        name: 'broken',
        models: ['m'],
        defaultModel: 'm',
        chat: () => Promise.reject(new Error('unused')),
        async *stream() {
          yield {
            id: 'c',
            object: 'chat.completion.chunk',
            created: 0,
            model: 'm',
            choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }],
          }
          throw new Error('connection reset')
        },
      }
      const cut = sluiceClient(make() as OpenAI, createSluice({ providers: [broken], retry: { retries: 0 } }))
      const stream = await withCallContext({ userId: `${name}-hal` }, () =>
        cut.chat.completions.create({
          model: 'm',
          messages: [{ role: 'user', content: 'hi' }],
          stream: true,
        }),
      )
      let text = ''
      const ended = await (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
      })().catch((e: unknown) => e)
      expect(text).toBe('Hel')
      expect(ended).toBeInstanceOf(SluiceError)
      expect(ended).toMatchObject({ code: 'provider_error' })
    })

    it('everything else on the client is untouched: it goes where the client points', async () => {
      const raw =
        name === 'openai'
          ? new OpenAI({ apiKey: 'k', baseURL: r.primary.url })
          : new Groq({ apiKey: 'k', baseURL: r.primary.url.replace(/\/v1$/, '') })
      const wrapped = sluiceClient(raw as OpenAI, sluice)
      expect(wrapped.baseURL).toBe(raw.baseURL)
      if (name === 'openai') {
        const models = await wrapped.models.list()
        expect(models.data.map((m) => m.id)).toContain('deepseek-chat')
      } else {
        // groq-sdk asks for /openai/v1/models, which the simulator does not serve: its own 404.
        await expect(wrapped.models.list()).rejects.toMatchObject({
          status: 404,
          error: { error: { message: 'not found' } },
        })
      }
      await sluice.close()
    })
  })
}
