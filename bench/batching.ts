// What batching saves: the same workload — 300 translations into 3 languages from 20 users, all
// within one window — through Sluice with and without `batch` for the endpoint, against the
// DeepSeek simulator (prices as DeepSeek's). Prints upstream calls, tokens and spend for each.
import { type ChatRequest, createSluice, deepseek } from '@sluice/core'
import { startSimulator } from '@sluice/simulator'

const ITEMS = Number(process.env.BENCH_BATCH_ITEMS ?? 300)
const LANGS = ['French', 'German', 'Italian']

const translation = (lang: string, text: string): ChatRequest => ({
  model: 'deepseek-chat',
  messages: [
    {
      role: 'system',
      content: `You are a careful translator for a language-learning app. Translate into ${lang}, keeping the register of the original.`,
    },
    { role: 'user', content: text },
  ],
  max_tokens: 64,
})

async function workload(batched: boolean) {
  const sim = await startSimulator({ profile: 'deepseek', latencyMs: { min: 20, max: 40 }, rpm: 0, tpm: 0 })
  const sluice = createSluice({
    providers: [deepseek({ baseURL: sim.url })],
    cache: { enabled: false },
    ...(batched
      ? {
          batch: {
            translate: {
              groupBy: (req: unknown) => String((req as ChatRequest).messages[0]?.content),
              maxSize: 50,
              windowMs: 50,
            },
          },
        }
      : {}),
  })
  let tokens = 0
  let spend = 0
  const started = performance.now()
  const results = await Promise.all(
    Array.from({ length: ITEMS }, (_, i) =>
      sluice.chat(translation(LANGS[i % 3]!, `Sentence number ${i}: where is the station?`), {
        userId: `user-${i % 20}`,
        endpoint: 'translate',
      }),
    ),
  )
  const ms = performance.now() - started
  for (const r of results) {
    tokens += r.usage?.total_tokens ?? 0
    spend += r.sluice.costUsd
  }
  const upstream = sim.stats.requests
  await sluice.close()
  await sim.close()
  return { upstream, tokens, spend, ms, fallbacks: sluice.counters().batchFallbacks }
}

export async function batching(): Promise<void> {
  const single = await workload(false)
  const batched = await workload(true)
  console.log(
    `${ITEMS} translations into ${LANGS.length} languages from 20 users, arriving together (DeepSeek simulator)`,
  )
  console.log(
    `\n${'case'.padEnd(28)} ${'upstream'.padStart(9)} ${'tokens'.padStart(9)} ${'spend $'.padStart(10)} ${'wall ms'.padStart(8)}`,
  )
  for (const [name, r] of [
    ['one call per request', single],
    ['batched (maxSize 50)', batched],
  ] as const) {
    console.log(
      `${name.padEnd(28)} ${String(r.upstream).padStart(9)} ${String(r.tokens).padStart(9)} ${r.spend.toFixed(6).padStart(10)} ${Math.round(r.ms).toString().padStart(8)}`,
    )
  }
  console.log(
    `\nbatching: ${(single.upstream / batched.upstream).toFixed(1)}x fewer upstream calls, ${((1 - batched.tokens / single.tokens) * 100).toFixed(0)}% fewer tokens, ${((1 - batched.spend / single.spend) * 100).toFixed(0)}% less spend (fallbacks to single calls: ${batched.fallbacks})`,
  )
  console.log(
    'tokens saved are mostly the repeated system prompt, which DeepSeek already bills at its cheaper cache-hit price; on a provider without context caching the spend falls with the tokens',
  )
}
