import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSluice, deepseek, memoryStore, QueueClient } from '@sluice/core'
import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createHandler, startChatWorker } from './app'

let sim: Simulator
let server: Server
let base: string
let stop: () => Promise<void>

beforeAll(async () => {
  sim = await startSimulator({ profile: 'deepseek', latencyMs: { min: 1, max: 5 } })
  const store = memoryStore()
  const sluice = createSluice({
    store,
    providers: [deepseek({ baseURL: sim.url })],
    tiers: { free: { limits: { default: { max: 3, window: '60s' } } } },
  })
  const queue = new QueueClient({ store, pollInterval: 20 })
  const worker = startChatWorker(sluice, queue)
  server = createServer(
    createHandler(sluice, queue, (req) => ({ userId: String(req.headers['x-user-id']), tier: 'free' })),
  )
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  stop = async () => {
    await worker.stop()
    await sluice.close()
  }
})
afterAll(async () => {
  await stop()
  server.close()
  await sim.close()
})

const call = (path: string, user: string, body?: unknown) =>
  fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'x-user-id': user, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })

describe('HTTP example', () => {
  it('answers a chat, then rate-limits with 429, Retry-After and X-RateLimit-* headers', async () => {
    const ok = await call('/api/chat', 'ana', { message: 'hola' })
    expect(ok.status).toBe(200)
    expect((await ok.json()).answer).toContain('hola')
    await call('/api/chat', 'ana', { message: 'dos' })
    await call('/api/chat', 'ana', { message: 'tres' })
    const limited = await call('/api/chat', 'ana', { message: 'cuatro' })
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3')
    expect((await limited.json()).error.code).toBe('rate_limited')
  })

  it('refuses a bad body with 400 naming the field', async () => {
    const res = await call('/api/chat', 'bob', { message: '' })
    expect(res.status).toBe(400)
    expect((await res.json()).error).toMatchObject({ code: 'invalid_request', path: 'body.message' })
  })

  it('queues a chat, reports its status to its owner only, and delivers the result', async () => {
    const queued = await call('/api/chat/queue', 'carla', { message: 'encolado', priority: 'high' })
    expect(queued.status).toBe(202)
    const { jobId } = await queued.json()
    expect((await call(`/api/chat/status/${jobId}`, 'eve')).status).toBe(403)
    expect((await call('/api/chat/status/not-a-job', 'carla')).status).toBe(400)
    let status = await (await call(`/api/chat/status/${jobId}`, 'carla')).json()
    for (let i = 0; i < 100 && status.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 20))
      status = await (await call(`/api/chat/status/${jobId}`, 'carla')).json()
    }
    expect(status).toMatchObject({
      status: 'completed',
      result: { answer: expect.stringContaining('encolado') },
    })
  })

  it('refuses a body over its cap with 413 before reading it on; nothing is sent upstream', async () => {
    const before = sim.stats.requests
    const res = await call('/api/chat', 'dan', { message: 'x'.repeat(200_000) })
    expect(res.status).toBe(413)
    expect((await res.json()).error).toMatchObject({ code: 'invalid_request', path: 'body' })
    expect(sim.stats.requests - before).toBe(0)
  })

  it('a client that hangs up cancels its call', async () => {
    const slow = await startSimulator({ profile: 'deepseek', latencyMs: { min: 400, max: 400 } })
    const sluice = createSluice({ providers: [deepseek({ baseURL: slow.url })], retry: { retries: 0 } })
    const queue = new QueueClient({ store: memoryStore() })
    const hungUpServer = createServer(createHandler(sluice, queue, () => ({ userId: 'hung', tier: 'free' })))
    await new Promise<void>((r) => hungUpServer.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(hungUpServer.address() as AddressInfo).port}/api/chat`
    const client = new AbortController()
    setTimeout(() => client.abort(), 100)
    await expect(
      fetch(url, { method: 'POST', body: JSON.stringify({ message: 'never mind' }), signal: client.signal }),
    ).rejects.toThrow()
    await vi.waitFor(async () => expect((await sluice.stats()).errorsByCode).toEqual({ cancelled: 1 }))
    await sluice.close()
    hungUpServer.closeAllConnections()
    await new Promise((r) => hungUpServer.close(r))
    await slow.close()
  })

  it('serves stats and Prometheus metrics', async () => {
    const stats = await (await call('/api/stats', 'ops')).json()
    expect(stats.requestsTotal).toBeGreaterThan(0)
    const metrics = await (await call('/metrics', 'ops')).text()
    expect(metrics).toContain('# TYPE sluice_requests_total counter')
  })
})
