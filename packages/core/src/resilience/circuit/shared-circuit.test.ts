import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterEach, describe, expect, it } from 'vitest'
import { memoryStore } from '../../memory/memory-store'
import { deepseek } from '../../providers/deepseek'
import { groq } from '../../providers/groq'
import { ResilientAgent } from '../resilient-agent'

const sims: Simulator[] = []
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()))
})
const request = { model: 'deepseek-chat', messages: [{ role: 'user' as const, content: 'hi' }] }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('the circuit state is shared through the store', () => {
  it('once one instance opens, the others send nothing until the reset, then one probe goes out', async () => {
    const ds = await startSimulator({ profile: 'deepseek', latencyMs: { min: 5, max: 5 } })
    const gq = await startSimulator({ profile: 'groq', latencyMs: { min: 0, max: 1 }, rpm: 0, tpm: 0 })
    sims.push(ds, gq)
    const store = memoryStore() // one store, two app instances
    const instance = () =>
      new ResilientAgent({
        providers: [
          deepseek({ baseURL: ds.url }),
          groq({ baseURL: gq.url, modelMap: { 'deepseek-chat': 'llama-3.3-70b-versatile' } }),
        ],
        retry: { retries: 0 },
        breaker: { failureThreshold: 3, resetTimeout: 300 },
        breakerPort: store.breaker,
      })
    const [a, b] = [instance(), instance()]
    const opened: string[] = []
    b.events.on('breaker:open', ({ name }) => opened.push(name))
    ds.setOutage(true)
    for (let i = 0; i < 3; i++) await a.chat(request) // falls back to groq each time
    expect(a.breakerStates().deepseek).toBe('open')
    const before = ds.stats.requests
    const answers = await Promise.all(Array.from({ length: 20 }, () => b.chat(request)))
    expect(ds.stats.requests).toBe(before) // B never tried the primary
    expect(answers.every((r) => r.provider === 'groq')).toBe(true)
    expect(opened).toEqual(['deepseek']) // and it says so
    ds.setOutage(false)
    await sleep(350)
    // After the reset, forty calls from both instances at once: exactly one probe reaches DeepSeek.
    const probes = ds.stats.requests
    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).chat(request)))
    expect(ds.stats.requests - probes).toBe(1)
    expect(burst.filter((r) => r.provider === 'deepseek')).toHaveLength(1)
    // The probe came back well: both instances use DeepSeek again.
    expect((await a.chat(request)).provider).toBe('deepseek')
    expect((await b.chat(request)).provider).toBe('deepseek')
    expect(b.breakerStates().deepseek).toBe('closed')
    a.close()
    b.close()
  })

  it('a failed probe opens the circuit again for everyone', async () => {
    const ds = await startSimulator({ profile: 'deepseek', latencyMs: { min: 0, max: 1 } })
    sims.push(ds)
    const store = memoryStore()
    const instance = () =>
      new ResilientAgent({
        providers: [deepseek({ baseURL: ds.url })],
        retry: { retries: 0 },
        breaker: { failureThreshold: 2, resetTimeout: 200 },
        breakerPort: store.breaker,
      })
    const [a, b] = [instance(), instance()]
    ds.setOutage(true)
    for (let i = 0; i < 2; i++) await a.chat(request).catch(() => {})
    await sleep(250)
    const before = ds.stats.requests
    await b.chat(request).catch(() => {}) // B's probe fails
    expect(ds.stats.requests - before).toBe(1)
    await expect(a.chat(request)).rejects.toMatchObject({ code: 'circuit_open' })
    await expect(b.chat(request)).rejects.toMatchObject({ code: 'circuit_open' })
    expect(ds.stats.requests - before).toBe(1)
    a.close()
    b.close()
  })
})
