// Child side of the app-budget tests: one app instance (createSluice on a shared store) per
// process, against a simulated DeepSeek the parent runs. argv after the store's own: mode
// (estimate | strict), provider URL, users, calls per user, the app's daily budget (USD),
// max_tokens. Prints one JSON line last.
import { barrier } from './barrier.mjs'

export async function budgetScenario({ createSluice, deepseek }, store, [mode, url, ...nums]) {
  const [users, calls, dailyUsd, maxTokens] = nums.map(Number)
  const sluice = createSluice({
    store,
    providers: [deepseek({ baseURL: url, apiKey: 'sim' })],
    budget: { app: { daily: dailyUsd }, mode },
    retry: { retries: 0 },
    cache: { enabled: false },
  })
  const out = { ok: 0, costUsd: 0, errors: {}, completionTokens: [], appSpendUsd: 0 }
  await barrier()
  // Every user of this process at once, each asking its `calls` questions one after another.
  const ask = async (userId, i) => {
    try {
      const res = await sluice.chat(
        {
          model: 'deepseek-chat',
          messages: [{ role: 'user', content: `${userId} asks question ${i}` }],
          max_tokens: maxTokens,
        },
        { userId },
      )
      out.ok++
      out.costUsd += res.sluice.costUsd
      out.completionTokens.push(res.usage?.completion_tokens ?? 0)
    } catch (error) {
      const code = error?.code ?? 'internal'
      out.errors[code] = (out.errors[code] ?? 0) + 1
    }
  }
  await Promise.all(
    Array.from({ length: users }, async (_, u) => {
      for (let i = 0; i < calls; i++) await ask(`u${process.pid}-${u}`, u * calls + i)
    }),
  )
  await barrier() // every process is done: the store's total is final
  out.appSpendUsd = await sluice.cost.levelSpend('app')
  await sluice.close()
  console.log(JSON.stringify(out))
}
