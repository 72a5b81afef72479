import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterEach, describe, expect, it } from 'vitest'
import { SluiceError } from '../errors/sluice-error'
import { toHttp } from '../errors/to-http'
import { groq } from '../providers/groq'
import type { ChatCompletion, Provider } from '../providers/types'
import { createSluice } from '../sluice/create-sluice'

const sims: Simulator[] = []
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()))
})
const ask = (content: string) => ({
  model: 'llama-3.3-70b-versatile',
  messages: [{ role: 'user' as const, content }],
  max_tokens: 50,
})

describe('provider capacity', () => {
  it('learns the limits from the headers and sends nothing into a full window', async () => {
    const gq = await startSimulator({
      profile: 'groq',
      latencyMs: { min: 1, max: 2 },
      rpm: 3,
      tpm: 0,
      windowMs: 1_500,
    })
    sims.push(gq)
    const sluice = createSluice({
      providers: [groq({ baseURL: gq.url })],
      capacity: { window: 1_500, maxWait: 100 },
      cache: { enabled: false },
    })
    const outcomes: string[] = []
    for (let i = 0; i < 5; i++)
      outcomes.push(
        await sluice.chat(ask(`q${i}`), { userId: 'u' }).then(
          () => 'ok',
          (e: SluiceError) => e.code,
        ),
      )
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'capacity_exceeded', 'capacity_exceeded'])
    expect(gq.stats).toMatchObject({ requests: 3, rateLimited: 0 })
    const [view] = (await sluice.stats()).capacity
    expect(view).toMatchObject({
      provider: 'groq',
      model: 'llama-3.3-70b-versatile',
      limits: { rpm: 3 },
      refused: 2,
    })
    expect(await sluice.prometheus()).toContain(
      'sluice_capacity_limit{provider="groq",model="llama-3.3-70b-versatile",kind="requests"} 3',
    )
    // Waited for, within maxWait, the next window answers.
    const patient = createSluice({
      providers: [groq({ baseURL: gq.url })],
      capacity: { window: 1_500, maxWait: '5s' },
      cache: { enabled: false },
    })
    await sluice.close()
    expect((await patient.chat(ask('later'), { userId: 'u' })).choices[0]?.message.content).toBeTruthy()
    await patient.close()
  })

  it("a provider's 429 is capacity: the call waits it out and is answered; the breaker stays closed", async () => {
    let calls = 0
    const full: Provider = {
      name: 'full',
      models: ['m'],
      defaultModel: 'm',
      async chat(): Promise<ChatCompletion> {
        if (++calls <= 3) {
          throw new SluiceError('provider_error', 'full: 429 rate limited', {
            status: 429,
            retryable: true,
            retryAfterMs: 100,
            provider: 'full',
          })
        }
        return {
          id: 'x',
          object: 'chat.completion',
          created: 0,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'at last' }, finish_reason: 'stop' }],
        }
      },
      async *stream() {},
    }
    const sluice = createSluice({
      providers: [full],
      breaker: { failureThreshold: 1 },
      retry: { retries: 0 },
      capacity: { maxWait: '5s' },
      cache: { enabled: false },
    })
    const res = await sluice.chat(
      { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
      { userId: 'u' },
    )
    expect(res.choices[0]?.message.content).toBe('at last')
    expect(sluice.agent.breakerStates().full).toBe('closed')
    expect((await sluice.stats()).capacity[0]).toMatchObject({ upstream429: 3 })
    await sluice.close()
  })

  it('a queued chat whose provider stays full rejects with capacity_exceeded, 503 with Retry-After', async () => {
    const gq = await startSimulator({
      profile: 'groq',
      latencyMs: { min: 1, max: 2 },
      rpm: 1,
      tpm: 0,
      windowMs: 5_000,
    })
    sims.push(gq)
    const sluice = createSluice({
      providers: [groq({ baseURL: gq.url })],
      capacity: { window: 5_000, maxWait: 100 },
      queue: { pollInterval: 50 },
      cache: { enabled: false },
    })
    await sluice.chat(ask('first'), { userId: 'u' })
    const e = await sluice.chat(ask('second'), { userId: 'u' }).catch((x: unknown) => x)
    expect(e).toMatchObject({ code: 'capacity_exceeded', provider: 'groq' })
    const http = toHttp(e)
    expect(http.status).toBe(503)
    expect(Number(http.headers['Retry-After'])).toBeGreaterThan(0)
    expect(gq.stats.requests).toBe(1)
    await sluice.close()
  })
})
