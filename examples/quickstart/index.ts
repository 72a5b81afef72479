// The Sluice quickstart: two simulated providers (DeepSeek primary, Groq fallback), Sluice on the
// in-process memory store with the seed's three tiers, and a mixed load with a provider outage.
import { createSluice, deepseek, groq, memoryStore, SluiceError } from '@sluice/core'
import { startSimulator } from '@sluice/simulator'
import { ms, pct, progress, table, usd } from './report'
import { workload } from './workload'

const TOTAL = 900
const CONCURRENCY = 24

const primary = await startSimulator({
  profile: 'deepseek',
  seed: 1,
  latencyMs: { min: 20, max: 80 },
  outages: [{ start: 2_000, end: 6_000 }], // DeepSeek is down for four seconds mid-run
})
const fallback = await startSimulator({
  profile: 'groq',
  seed: 2,
  latencyMs: { min: 10, max: 40 },
  rpm: 0,
  tpm: 0,
})

const sluice = createSluice({
  store: memoryStore(),
  providers: [
    deepseek({ apiKey: 'demo', baseURL: primary.url }),
    // Groq stands in for DeepSeek during its outage: say which of its models answers instead.
    groq({ apiKey: 'demo', baseURL: fallback.url, modelMap: { 'deepseek-chat': 'llama-3.3-70b-versatile' } }),
  ],
  tiers: {
    free: {
      limits: {
        check_answer: { max: 10, window: '60s' },
        translate: { max: 20, window: '60s' },
        ask_teacher: { max: 5, window: '60s' },
      },
      dailyTotal: 100,
      // The seed's free budget is $0.10/day; scaled down here so a few hundred simulated calls reach it.
      budget: { daily: 0.0002, monthly: 2 },
    },
    premium: {
      limits: {
        check_answer: { max: 50, window: '60s' },
        translate: { max: 100, window: '60s' },
        ask_teacher: { max: 30, window: '60s' },
      },
      dailyTotal: 1000,
      budget: { daily: 5, monthly: 100 },
    },
    superadmin: { unlimited: true },
  },
  cache: { ttl: { translate: '24h', check_answer: '1h', ask_teacher: '30m' }, userScoped: ['ask_teacher'] },
  retry: { retries: 2, minTimeout: 20, maxTimeout: 200 },
  breaker: { failureThreshold: 5, resetTimeout: '1500ms' },
  timeout: '5s',
})

const transitions: string[] = []
sluice.on('breaker:open', ({ name }) => transitions.push(`${name} open`))
sluice.on('breaker:half-open', ({ name }) => transitions.push(`${name} half-open`))
sluice.on('breaker:close', ({ name }) => transitions.push(`${name} closed`))

const outcomes = { ok: 0, cached: 0, coalesced: 0, rateLimited: 0, budget: 0, unexpected: 0 }
const unexpected: string[] = []
const jobs = workload(TOTAL)
const started = performance.now()
let next = 0
let done = 0

console.log(`Sluice quickstart: ${TOTAL} requests from 57 users, ${CONCURRENCY} at a time`)
console.log(`  primary  deepseek (simulated) ${primary.url}  (outage from 2s to 6s)`)
console.log(`  fallback groq     (simulated) ${fallback.url}\n`)

async function worker(): Promise<void> {
  while (next < jobs.length) {
    const job = jobs[next++]!
    try {
      const res = await sluice.chat(
        { model: 'deepseek-chat', messages: [{ role: 'user', content: job.content }], max_tokens: 200 },
        { userId: job.userId, tier: job.tier, endpoint: job.endpoint },
      )
      outcomes.ok++
      if (res.sluice.cached) outcomes.cached++
      if (res.sluice.coalesced) outcomes.coalesced++
    } catch (error) {
      if (SluiceError.is(error, 'rate_limited')) outcomes.rateLimited++
      else if (SluiceError.is(error, 'budget_exceeded')) outcomes.budget++
      else {
        outcomes.unexpected++
        unexpected.push(SluiceError.is(error) ? `${error.code}: ${error.message}` : String(error))
      }
    }
    done++
    const state = sluice.agent.breakerStates().deepseek
    progress(
      done,
      TOTAL,
      `ok ${outcomes.ok}  limited ${outcomes.rateLimited}  cache ${outcomes.cached}  deepseek breaker ${state}`,
    )
    await new Promise((r) => setTimeout(r, 200)) // users think between requests
  }
}

await Promise.all(Array.from({ length: CONCURRENCY }, worker))
const elapsed = performance.now() - started
if (process.stdout.isTTY) process.stdout.write('\n')

const stats = await sluice.stats()
const report = await sluice.cost.report()
const counters = sluice.counters()
const providerCalls = primary.stats.requests + fallback.stats.requests
const tierSpend = (t: string) => usd(report.byTier[t] ?? 0)
const { by } = stats.saved
const savedCalls = `${by.cache.calls} / ${by.coalesce.calls} / ${by.batch.calls}`

console.log(
  `\n${table('Summary', [
    ['requests', TOTAL],
    ['allowed (answered)', outcomes.ok],
    ['rate-limited', outcomes.rateLimited],
    ['over budget', outcomes.budget],
    ['cache hits', outcomes.cached],
    ['cache hit rate', pct(stats.cache.hitRate)],
    ['shared in-flight calls', outcomes.coalesced],
    [
      'provider calls (deepseek + groq)',
      `${primary.stats.requests} + ${fallback.stats.requests} = ${providerCalls}`,
    ],
    ['deepseek outage 503s', primary.stats.outageErrors],
    ['retries', counters.retries],
    ['fallbacks to groq', counters.fallbacks],
    ['breaker transitions', counters.breakerTransitions],
    ['unexpected errors', outcomes.unexpected],
    ['spend: free', tierSpend('free')],
    ['spend: premium', tierSpend('premium')],
    ['spend: superadmin', tierSpend('superadmin')],
    ['saved: calls not made (cache / shared / batch)', savedCalls],
    ['saved: what they would have cost', usd(stats.saved.usd)],
    ['latency p50 / p95', `${ms(stats.latencyMs.p50)} / ${ms(stats.latencyMs.p95)}`],
    ['wall time', ms(elapsed)],
  ])}`,
)
console.log(`
What the figures mean:
- over budget: each free user's budget is scaled down from the seed's $0.10/day to $0.0002/day,
  so a few hundred simulated calls reach it; those calls were refused before any provider was
  called. The spend lines add up every user of a tier.
- provider calls count every HTTP request to a provider, the outage's 503s included: those failed
  and were retried or sent to groq; they are not answers and cost nothing.
- cache hits and shared in-flight calls never reached a provider; "saved" prices each at what its
  answer cost, beside the spend lines (which count only what providers were paid for).
- latency p50 / p95 are per answered request and include the cache hits (under a millisecond),
  which is why p50 sits below the simulated providers' 20-80 ms.`)
console.log(`breaker timeline: ${transitions.join(' -> ') || 'no transitions'}`)

await sluice.close()
await primary.close()
await fallback.close()

// The demo is also a smoke test: it fails loudly when a control did not do its job.
const problems = [
  outcomes.unexpected > 0 && `unexpected errors: ${[...new Set(unexpected)].slice(0, 3).join(' | ')}`,
  outcomes.ok + outcomes.rateLimited + outcomes.budget + outcomes.unexpected !== TOTAL &&
    'requests went missing',
  counters.fallbacks === 0 && 'the outage was not covered by the fallback',
  outcomes.cached === 0 && 'the cache never hit',
  stats.saved.by.cache.calls !== outcomes.cached && 'the savings do not count every cache hit',
  outcomes.rateLimited === 0 && 'no rate limit was ever reached',
  outcomes.budget === 0 && 'no budget was ever reached',
  !transitions.includes('deepseek open') && 'the breaker never opened during the outage',
].filter(Boolean)
if (problems.length > 0) {
  console.error(`\nDemo FAILED:\n- ${problems.join('\n- ')}`)
  process.exit(1)
}
console.log('\nDemo OK: every control did its job.')
