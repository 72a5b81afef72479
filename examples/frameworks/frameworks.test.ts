import type { AddressInfo } from 'node:net'
import { createSluice, deepseek, type Sluice } from '@sluice/core'
import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { expressApp } from './express-app'
import { honoApp } from './hono-app'

let sim: Simulator
let sluice: Sluice
beforeAll(async () => {
  sim = await startSimulator({ profile: 'deepseek', latencyMs: { min: 5, max: 5 } })
  sluice = createSluice({
    providers: [deepseek({ baseURL: sim.url, apiKey: 'sim' })],
    tiers: { free: { limits: { chat: { limit: 2, window: '1m' } } }, premium: {} },
  })
})
afterAll(async () => {
  await sluice.close()
  await sim.close()
})

type Fetch = (path: string, init: RequestInit) => Promise<Response>

/** Express on a real port; Hono through its own fetch handler. */
const frameworks: [string, (on?: Sluice) => Promise<{ fetch: Fetch; close: () => Promise<void> }>][] = [
  [
    'Express',
    async (on = sluice) => {
      const server = expressApp(on).listen(0)
      await new Promise((r) => server.once('listening', r))
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      return {
        fetch: (path, init) => fetch(base + path, init),
        close: () =>
          new Promise((r) => {
            server.closeAllConnections()
            server.close(() => r())
          }),
      }
    },
  ],
  [
    'Hono',
    async (on = sluice) => {
      const app = honoApp(on)
      return { fetch: async (path, init) => app.request(path, init), close: async () => {} }
    },
  ],
]

const post = (fetch: Fetch, token: string | undefined, body: unknown) =>
  fetch('/chat', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })

describe.each(frameworks)('%s helpers', (name, start) => {
  it('the context comes from the app auth; the tier limit answers 429 with Retry-After and X-RateLimit-*', async () => {
    const app = await start()
    try {
      const before = sim.stats.requests
      const ok = await post(app.fetch, 'token-alice', { message: `hello from ${name} 1` })
      expect(ok.status).toBe(200)
      expect(((await ok.json()) as { answer: string }).answer.length).toBeGreaterThan(0)
      expect((await post(app.fetch, 'token-alice', { message: `hello from ${name} 2` })).status).toBe(200)
      const refused = await post(app.fetch, 'token-alice', { message: `hello from ${name} 3` })
      expect(refused.status).toBe(429)
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(refused.headers.get('x-ratelimit-limit')).toBe('2')
      expect(refused.headers.get('x-ratelimit-remaining')).toBe('0')
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited')
      // bob is premium (no limit): the same route lets him through
      for (let i = 0; i < 3; i++)
        expect((await post(app.fetch, 'token-bob', { message: `${name} bob ${i}` })).status).toBe(200)
      expect(sim.stats.requests - before).toBe(5) // the refused call never went upstream
      // The limit is alice's alone for the endpoint: reset it for the other framework's run.
      await sluice.limiter.reset('alice', 'chat', 'free')
    } finally {
      await app.close()
    }
  })

  it('a wrapped openai client finds its caller in the call scope the context set: the same limit applies', async () => {
    const app = await start()
    try {
      const ask = (token: string, n: number) =>
        app.fetch('/chat-openai', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ message: `${name} through openai ${n}` }),
        })
      expect((await ask('token-alice', 1)).status).toBe(200)
      expect((await ask('token-alice', 2)).status).toBe(200)
      const refused = await ask('token-alice', 3) // alice's free limit on 'chat' is 2
      expect(refused.status).toBe(429)
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited')
      expect((await ask('token-bob', 1)).status).toBe(200)
      await sluice.limiter.reset('alice', 'chat', 'free')
    } finally {
      await app.close()
    }
  })

  it('no identity is 403; a bad body is 400 invalid_request; neither goes upstream', async () => {
    const app = await start()
    try {
      const before = sim.stats.requests
      const anonymous = await post(app.fetch, undefined, { message: 'hi' })
      expect(anonymous.status).toBe(403)
      expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('forbidden')
      const forged = await post(app.fetch, 'token-mallory', { message: 'hi' })
      expect(forged.status).toBe(403)
      const bad = await post(app.fetch, 'token-bob', { message: 42 })
      expect(bad.status).toBe(400)
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_request')
      expect(sim.stats.requests - before).toBe(0)
    } finally {
      await app.close()
    }
  })

  it('a client that goes before its answer cancels its call', async () => {
    const slow = await startSimulator({ profile: 'deepseek', latencyMs: { min: 400, max: 400 } })
    const patient = createSluice({
      providers: [deepseek({ baseURL: slow.url, apiKey: 'sim' })],
      retry: { retries: 0 },
    })
    const app = await start(patient)
    try {
      const client = new AbortController()
      setTimeout(() => client.abort(), 100)
      const answer = await app
        .fetch('/chat', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer token-bob' },
          body: JSON.stringify({ message: `${name}: never mind` }),
          signal: client.signal,
        })
        .then(
          (r) => r.status,
          () => 'gone',
        )
      // Over a socket the client is gone; Hono in the process still answers, with 499 (cancelled).
      expect(answer).toBe(name === 'Express' ? 'gone' : 499)
      await vi.waitFor(async () => expect((await patient.stats()).errorsByCode).toEqual({ cancelled: 1 }))
    } finally {
      await app.close()
      await patient.close()
      await slow.close()
    }
  })
})
