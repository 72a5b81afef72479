// Child side of the fleet tests: one app instance (createSluice on a shared store) per process.
// argv after the store's own: mode, DeepSeek simulator URL, Groq simulator URL. The parent starts
// the simulators, so it counts every upstream call of the fleet. Prints one JSON line last.
import { barrier } from './barrier.mjs'

const ask = (content, extra = {}) => ({
  model: 'deepseek-chat',
  messages: [{ role: 'user', content }],
  ...extra,
})

export async function fleetScenario({ createSluice, deepseek, groq }, store, [mode, dsUrl, gqUrl]) {
  const sluice = createSluice({
    store,
    providers: [
      deepseek({ baseURL: dsUrl, apiKey: 'sim' }),
      groq({ baseURL: gqUrl, apiKey: 'sim', modelMap: { 'deepseek-chat': 'llama-3.3-70b-versatile' } }),
    ],
    tiers: { free: { budget: { daily: 0.002 } }, premium: {} },
    breaker: { failureThreshold: 3, resetTimeout: '1500ms' },
    retry: { retries: 0 },
  })
  const report = await run(sluice, mode)
  await sluice.close()
  console.log(JSON.stringify(report))
}

const tally = (results) => {
  const out = { ok: 0, fresh: 0, cached: 0, coalesced: 0, costs: [], providers: {}, errors: {}, texts: [] }
  for (const r of results) {
    if (r.status === 'rejected') {
      const code = r.reason?.code ?? 'internal'
      out.errors[code] = (out.errors[code] ?? 0) + 1
      continue
    }
    const m = r.value.sluice
    out.ok++
    if (m.cached) out.cached++
    else if (m.coalesced) out.coalesced++
    else out.fresh++
    out.costs.push(m.costUsd)
    if (r.value.text !== undefined && !out.texts.includes(r.value.text)) out.texts.push(r.value.text)
    out.providers[m.provider ?? 'none'] = (out.providers[m.provider ?? 'none'] ?? 0) + 1
  }
  return out
}

const many = (n, fn) => Promise.allSettled(Array.from({ length: n }, (_, i) => fn(i)))

async function run(sluice, mode) {
  const ctx = { userId: `u-${process.pid}`, tier: 'premium' }
  switch (mode) {
    case 'cache-one': // one call of a question every instance asks in turn
      await barrier()
      return tally(await many(1, () => sluice.chat(ask('What is the French for "good morning"?'), ctx)))
    case 'cache-burst': // the same question from every instance at once
      await barrier()
      return tally(
        await many(20, (i) =>
          sluice.chat(ask('Asked by the whole fleet at once'), { ...ctx, userId: `b${i}` }),
        ),
      )
    case 'stream-burst': // the same stream from every instance at once, each read to its end
      await barrier()
      return tally(
        await many(20, async (i) => {
          const stream = sluice.stream(ask('Streamed to the whole fleet at once'), {
            ...ctx,
            userId: `st${i}`,
          })
          let text = ''
          for (let n = await stream.next(); ; n = await stream.next()) {
            if (n.done) return { sluice: n.value, text }
            text += n.value.choices[0]?.delta.content ?? ''
          }
        }),
      )
    case 'budget': // one user, a small daily budget, 100 concurrent calls from each instance
      await barrier()
      return tally(
        await many(100, (i) =>
          sluice.chat(ask(`budget question ${process.pid} ${i}`, { max_tokens: 64 }), {
            userId: 'spender',
            tier: 'free',
          }),
        ),
      )
    case 'breaker': // calls one at a time, fallback on (the parent switches DeepSeek's outage)
      await barrier()
      return tally(
        await many(1, async () => {
          let last
          for (let i = 0; i < 6; i++)
            last = await sluice.chat(ask(`breaker ${process.pid} ${Date.now()} ${i}`), ctx)
          return last
        }),
      )
    case 'burst': // 20 concurrent distinct calls
      await barrier()
      return tally(await many(20, (i) => sluice.chat(ask(`burst ${process.pid} ${Date.now()} ${i}`), ctx)))
    case 'stats': {
      // 30 calls each, flush, then both read the fleet's numbers
      await barrier()
      await many(30, (i) =>
        sluice.chat(ask(`stats ${process.pid} ${i}`), { ...ctx, userId: `s-${process.pid}-${i % 3}` }),
      )
      await sluice.monitor.flush()
      await barrier()
      const stats = await sluice.stats()
      return { requestsTotal: stats.requestsTotal, activeUsers: stats.activeUsers, breakers: stats.breakers }
    }
    default:
      throw new Error(`unknown mode ${mode}`)
  }
}
