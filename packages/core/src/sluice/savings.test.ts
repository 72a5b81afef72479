import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { priceUsage } from '../cost/price-usage'
import { deepseek } from '../providers/deepseek'
import type { ChatRequest } from '../providers/types'
import { createSluice } from './create-sluice'

let ds: Simulator
beforeAll(async () => {
  ds = await startSimulator({ profile: 'deepseek', latencyMs: { min: 30, max: 30 } })
})
afterAll(() => ds.close())

const ask = (text: string, system = 'Answer briefly.'): ChatRequest => ({
  model: 'deepseek-chat',
  messages: [
    { role: 'system', content: system },
    { role: 'user', content: text },
  ],
})
const close = (a: number, b: number) => Math.abs(a - b) < 1e-12

describe('what Sluice saved', () => {
  it('a cache hit and coalesced duplicates count as calls saved, each priced as the answer cost', async () => {
    const sluice = createSluice({ providers: [deepseek({ baseURL: ds.url })] })
    const before = ds.stats.requests
    const [first, ...followers] = await Promise.all(
      Array.from({ length: 5 }, () => sluice.chat(ask('what is a sluice?'), { userId: 'u' })),
    )
    const hit = await sluice.chat(ask('what is a sluice?'), { userId: 'v' })
    expect(ds.stats.requests - before).toBe(1)
    expect(hit.sluice.cached).toBe(true)
    expect(followers.every((r) => r.sluice.coalesced)).toBe(true)
    const paid = priceUsage('deepseek-chat', first!.usage!)!
    expect(close(first!.sluice.costUsd, paid)).toBe(true)
    const { saved, spendTodayUsd } = await sluice.stats()
    expect(saved.by.cache.calls).toBe(1)
    expect(close(saved.by.cache.usd, paid)).toBe(true)
    expect(saved.by.coalesce.calls).toBe(4)
    expect(close(saved.by.coalesce.usd, 4 * paid)).toBe(true)
    expect(saved.calls).toBe(5)
    expect(close(spendTodayUsd, paid)).toBe(true) // spent beside saved: one call's worth
    await sluice.close()
  })

  it('a batch of 10 saves 9 calls and what 10 single prompts would have cost beyond the batch', async () => {
    const build = (batch: boolean) =>
      createSluice({
        providers: [deepseek({ baseURL: ds.url })],
        ...(batch ? { batch: { translate: { groupBy: () => 'fr', maxSize: 10, windowMs: 200 } } } : {}),
      })
    const texts = Array.from({ length: 10 }, (_, i) => `a fairly long sentence number ${i} to translate`)
    const run = async (batch: boolean) => {
      const sluice = build(batch)
      const results = await Promise.all(
        texts.map((t) =>
          sluice.chat(ask(t, 'Translate into French, keeping the tone.'), {
            userId: 'u',
            endpoint: 'translate',
            cache: false,
          }),
        ),
      )
      const stats = await sluice.stats()
      await sluice.close()
      return { results, stats }
    }
    const alone = await run(false)
    const together = await run(true)
    expect(together.results.every((r) => r.sluice.batched && r.sluice.batchSize === 10)).toBe(true)
    expect(alone.stats.saved.calls).toBe(0)
    const { batch } = together.stats.saved.by
    expect(batch.calls).toBe(9)
    // Priced from estimates of each single prompt: more than nothing, less than the singles cost.
    expect(batch.usd).toBeGreaterThan(0)
    expect(batch.usd).toBeLessThan(alone.stats.spendTodayUsd)
    expect(together.stats.spendTodayUsd + batch.usd).toBeGreaterThan(0.5 * alone.stats.spendTodayUsd)
  })

  it('the exposition parses: every family declared, counters end in _total, base units, the known load', async () => {
    const sluice = createSluice({ providers: [deepseek({ baseURL: ds.url })] })
    await sluice.chat(ask('one'), { userId: 'a' })
    await sluice.chat(ask('one'), { userId: 'b' }) // a hit
    await sluice.chat(ask('two'), { userId: 'a' })
    const families = parseExposition(await sluice.prometheus())
    for (const [name, f] of families) {
      expect({ name, ok: /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name) }).toEqual({ name, ok: true })
      expect({ name, help: f.help.length > 0, type: ['counter', 'gauge'].includes(f.type) }).toEqual({
        name,
        help: true,
        type: true,
      })
      if (f.type === 'counter')
        expect({ name, total: name.endsWith('_total') }).toEqual({ name, total: true })
      expect({ name, ms: /_ms$|_millis/.test(name) }).toEqual({ name, ms: false })
    }
    const value = (name: string, labels = '') =>
      families.get(name)?.samples.find((s) => s.labels === labels)?.value
    expect(value('sluice_requests_total')).toBe(3)
    expect(value('sluice_active_users')).toBe(2)
    expect(value('sluice_saved_calls_total', 'by="cache"')).toBe(1)
    expect(value('sluice_saved_calls_total', 'by="batch"')).toBe(0)
    expect(value('sluice_cache_hit_ratio')).toBeCloseTo(1 / 3)
    const p50 = value('sluice_request_latency_seconds', 'quantile="0.5"')!
    expect(p50).toBeGreaterThan(0)
    expect(p50).toBeLessThan(5) // seconds, not milliseconds
    await sluice.close()
  })
})

interface Family {
  help: string
  type: string
  samples: { labels: string; value: number }[]
}

/** A strict reader of the text format: a sample must follow its family's HELP and TYPE. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
    if (meta) {
      const f = families.get(meta[2]!) ?? { help: '', type: '', samples: [] }
      if (meta[1] === 'HELP') f.help = meta[3]!
      else f.type = meta[3]!
      families.set(meta[2]!, f)
      continue
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_]\w*="(?:[^"\\]|\\.)*",?)*)\})? (\S+)$/.exec(
      line,
    )
    if (!sample) throw new Error(`not a sample line: ${line}`)
    const f = families.get(sample[1]!)
    if (!f?.type || !f.help) throw new Error(`sample before its HELP and TYPE: ${line}`)
    const value = Number(sample[3])
    if (Number.isNaN(value)) throw new Error(`not a number: ${line}`)
    f.samples.push({ labels: sample[2] ?? '', value })
  }
  return families
}

describe('queue wait', () => {
  it("queued calls' wait for a worker shows in stats() and the exposition", async () => {
    const sluice = createSluice({
      providers: [deepseek({ baseURL: ds.url })],
      queue: { concurrency: 1, pollInterval: '50ms' },
    })
    // One worker slot and 30 ms calls: the later of four calls wait behind the earlier ones.
    const results = await Promise.all(
      [1, 2, 3, 4].map((i) => sluice.chat(ask(`queued ${i}`), { userId: 'q', cache: false })),
    )
    const waits = results.map((r) => r.sluice.queuedMs).sort((a, b) => a - b)
    expect(waits.at(-1)!).toBeGreaterThan(50)
    const stats = await sluice.stats()
    expect(stats.queueWaitMs.p95).toBe(waits.at(-1))
    expect(stats.queueWaitMs.p50).toBe(waits[1])
    expect(await sluice.prometheus()).toContain(
      `sluice_queue_wait_seconds{quantile="0.95"} ${waits.at(-1)! / 1000}`,
    )
    await sluice.close()
  })
})
