import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createSluice, deepseek, type Sluice } from '@sluice/core'
import { type Simulator, startSimulator } from '@sluice/simulator'
import express from 'express'
import { Hono } from 'hono'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM } from '../../../scripts/browser.mjs'
import { dashboard } from './dashboard'
import { toNodeHandler } from './node-handler'

let sim: Simulator
let sluice: Sluice
const ADMIN = 'Bearer let-me-see'
const authorize = (req: Request) => req.headers.get('authorization') === ADMIN

beforeAll(async () => {
  sim = await startSimulator({ profile: 'deepseek', latencyMs: { min: 20, max: 40 } })
  sluice = createSluice({
    providers: [deepseek({ baseURL: sim.url, apiKey: 'sim' })],
    tiers: {
      free: { limits: { chat: { limit: 3, window: '1m' } }, budget: { daily: 0.1 } },
      premium: { budget: { daily: 5 } },
    },
  })
  // A known load: ana (free) asks 5 different things, 2 over her limit; ben (premium) asks one
  // thing 4 times, answered once and then from the cache.
  const ask = (content: string) => ({
    model: 'deepseek-chat',
    messages: [{ role: 'user' as const, content }],
  })
  for (let i = 0; i < 5; i++)
    await sluice.chat(ask(`ana asks ${i}`), { userId: 'ana', tier: 'free', endpoint: 'chat' }).catch(() => {})
  for (let i = 0; i < 4; i++)
    await sluice.chat(ask('ben asks'), { userId: 'ben', tier: 'premium', endpoint: 'chat' })
})
afterAll(async () => {
  await sluice.close()
  await sim.close()
})

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('the dashboard', () => {
  it('is refused without the app authorisation, and cannot be made without an authorize check', async () => {
    const server = createServer(toNodeHandler(dashboard({ sluice, authorize })))
    const base = await listen(server)
    try {
      expect((await fetch(`${base}/sluice/`)).status).toBe(403)
      expect(
        (await fetch(`${base}/sluice/stats.json`, { headers: { authorization: 'Bearer guess' } })).status,
      ).toBe(403)
      expect((await fetch(`${base}/sluice/stats.json`, { headers: { authorization: ADMIN } })).status).toBe(
        200,
      )
      expect((await fetch(`${base}/elsewhere`)).status).toBe(404) // not its path: passed on
      expect(() => dashboard({ sluice } as never)).toThrow(/authorize/)
    } finally {
      server.close()
    }
  })

  it('mounts in Express and Hono', async () => {
    const handle = dashboard({ sluice, authorize, basePath: '/ops/sluice' })
    const app = express()
    app.use(toNodeHandler(handle))
    app.get('/', (_req, res) => void res.send('the app'))
    const server = createServer(app)
    const base = await listen(server)
    try {
      const stats = await fetch(`${base}/ops/sluice/stats.json`, { headers: { authorization: ADMIN } })
      expect(((await stats.json()) as { requestsTotal: number }).requestsTotal).toBe(9)
      expect(await (await fetch(`${base}/`)).text()).toBe('the app')
    } finally {
      server.close()
    }
    const hono = new Hono()
    hono.all('/ops/sluice/*', async (c) => (await handle(c.req.raw)) ?? c.notFound())
    const page = await hono.request('/ops/sluice/', { headers: { authorization: ADMIN } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Sluice — live')
    expect((await hono.request('/ops/sluice/uplot.js', { headers: { authorization: ADMIN } })).status).toBe(
      200,
    )
  })

  it('pushes server-sent events: three open pages cost one stats read per interval, and none once they close', async () => {
    let reads = 0
    const counted = new Proxy(sluice, {
      get(target, key) {
        if (key === 'stats')
          return () => {
            reads++
            return target.stats()
          }
        const value = Reflect.get(target, key)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const handle = dashboard({ sluice: counted, authorize, refreshMs: 250 })
    const server = createServer(toNodeHandler(handle))
    const base = await listen(server)
    const pages = Array.from({ length: 3 }, () => new AbortController())
    try {
      // Each page reads its event stream for 1.5 s: every event is a whole snapshot.
      const received = await Promise.all(
        pages.map(async (page) => {
          const res = await fetch(`${base}/sluice/events`, {
            headers: { authorization: ADMIN },
            signal: page.signal,
          })
          expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
          const reader = res.body!.getReader()
          const decoder = new TextDecoder()
          let text = ''
          const until = Date.now() + 1_500
          let pending = reader.read()
          while (Date.now() < until) {
            const next = await Promise.race([
              pending,
              new Promise<null>((r) => setTimeout(() => r(null), 100)),
            ])
            if (!next) continue // nothing yet: the same read stays pending
            if (next.done) break
            text += decoder.decode(next.value, { stream: true })
            pending = reader.read()
          }
          pending.catch(() => {}) // ends with the abort
          return text
            .split('\n\n')
            .filter((e) => e.startsWith('data: '))
            .map((e) => (JSON.parse(e.slice(6)) as { at: number; requestsTotal: number }).at)
        }),
      )
      expect(handle.listeners).toBe(3)
      for (const events of received) expect(events.length).toBeGreaterThanOrEqual(4)
      // The same snapshots reached every page: one read served them all.
      const [first, ...others] = received
      for (const events of others) expect(events.slice(1, 4)).toEqual(first!.slice(1, 4))
      expect(reads).toBeLessThanOrEqual(Math.max(...received.map((e) => e.length)) + 1)
      for (const page of pages) page.abort()
      const deadline = Date.now() + 3_000
      while (handle.listeners > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      expect(handle.listeners).toBe(0)
      const after = reads
      await new Promise((r) => setTimeout(r, 800))
      expect(reads).toBe(after) // nobody listens: nothing is read
    } finally {
      for (const page of pages) page.abort()
      server.close()
    }
  })

  it('in Chromium: the page loads, draws its charts and shows the numbers of the known load', async () => {
    const server = createServer(toNodeHandler(dashboard({ sluice, authorize, refreshMs: 300 })))
    const base = await listen(server)
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    try {
      const context = await browser.newContext({
        extraHTTPHeaders: { authorization: ADMIN },
        viewport: { width: 1200, height: 820 },
      })
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(e.message))
      const asked: string[] = []
      page.on('request', (r) => asked.push(new URL(r.url()).pathname))
      await page.goto(`${base}/sluice/`)
      await page.waitForFunction(() => Number(document.body.dataset.updates ?? 0) >= 3)
      const text = async (k: string) => (await page.locator(`[data-k="${k}"]`).first().textContent())?.trim()
      const stats = await sluice.stats()
      expect(await text('requestsTotal')).toBe('9')
      expect(await text('rateLimited')).toBe('2')
      expect(await text('budgetExceeded')).toBe('0')
      expect(await text('activeUsers')).toBe('2')
      expect(await text('cacheHitRate')).toBe(`${(stats.cache.hitRate * 100).toFixed(1)}%`)
      expect(await text('saved')).toMatch(/^3 \/ \$0\.0000\d\d$/)
      expect(await text('queue')).toBe('no queue')
      expect(await page.locator('#tiers tr').count()).toBe(2)
      // Spend per endpoint, from the store's usage rows: each endpoint that went upstream today.
      const endpoints = Object.keys(stats.spendTodayByEndpoint)
      expect(endpoints.length).toBeGreaterThan(0)
      expect(await page.locator('#endpoints tr').count()).toBe(endpoints.length)
      expect(await page.locator('#breakers td.closed').count()).toBe(1)
      // DeepSeek sends no limit headers: nothing is paced, and the page says what was sent.
      expect(await page.locator('#capacity tr').count()).toBe(1)
      expect(await page.locator('#capacity tr td').first().textContent()).toBe('deepseek / deepseek-chat')
      expect(await page.locator('#capacity tr td').nth(1).textContent()).toMatch(
        /^rpm not paced · 4 sent · 0 waiting/,
      )
      expect(await page.locator('.uplot canvas').count()).toBe(2) // both charts drawn by uPlot
      expect(errors).toEqual([])
      // Then under load: three seconds of calls from twenty users (some new, some cached, some over
      // their limit) while the page keeps refreshing; its totals follow the store's.
      const ask = (content: string) => ({
        model: 'deepseek-chat',
        messages: [{ role: 'user' as const, content }],
      })
      const load: Promise<unknown>[] = []
      for (let i = 0; i < 120; i++) {
        const user = `u${i % 20}`
        load.push(
          sluice
            .chat(ask(`question ${i % 40}`), {
              userId: user,
              tier: i % 4 === 0 ? 'premium' : 'free',
              endpoint: 'chat',
            })
            .catch(() => {}),
        )
        await new Promise((r) => setTimeout(r, 25))
      }
      await Promise.all(load)
      const after = (await sluice.stats()).requestsTotal
      await page.waitForFunction(
        (n) => document.querySelector('[data-k="requestsTotal"]')?.textContent === String(n),
        after,
      )
      expect(after).toBe(129)
      // The numbers came pushed: the page asked for its event stream, and never polled.
      expect(asked).toContain('/sluice/events')
      expect(asked.filter((p) => p.endsWith('stats.json'))).toEqual([])
      const shot = process.env.SLUICE_SCREENSHOT ?? join(tmpdir(), `sluice-dashboard-${process.pid}.png`)
      mkdirSync(dirname(shot), { recursive: true })
      const png = await page.screenshot({ path: shot, fullPage: true })
      expect(png.length).toBeGreaterThan(10_000)
    } finally {
      await browser.close()
      server.close()
    }
  })
})
