import { parseArgs } from 'node:util'
import { startSimulator } from './simulator'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8787' },
    profile: { type: 'string', default: 'deepseek' },
    seed: { type: 'string', default: '1' },
    latency: { type: 'string' },
    rpm: { type: 'string' },
    tpm: { type: 'string' },
    window: { type: 'string' },
    'max-concurrent': { type: 'string' },
    'error-rate': { type: 'string' },
    outage: { type: 'string', multiple: true },
    help: { type: 'boolean', default: false },
  },
})

if (values.help) {
  console.log(`sluice-sim: a local OpenAI-compatible LLM server that behaves like DeepSeek or Groq

  --port 8787            port to listen on (0 for any)
  --profile deepseek     deepseek | groq
  --seed 1               PRNG seed (same seed, same answers and faults)
  --latency 50-200       response latency range in ms
  --rpm 30 --tpm 6000    per-window limits (429 with Retry-After); 0 for none
  --window 60000         the rate-limit window in ms (a minute unless set)
  --max-concurrent 8     requests in flight per account before a 429 (DeepSeek-style); 0 for none
  --error-rate 0.05      share of requests that get an injected 500/503
  --outage 10000-20000   ms after start during which every request gets 503 (repeatable)`)
  process.exit(0)
}

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v))
const range = (v: string) => {
  const [a, b] = v.split('-').map(Number)
  return { a: a ?? 0, b: b ?? a ?? 0 }
}
if (values.profile !== 'deepseek' && values.profile !== 'groq') {
  console.error(`--profile must be deepseek or groq, not ${values.profile}`)
  process.exit(2)
}
const latency = values.latency ? range(values.latency) : undefined
const sim = await startSimulator({
  profile: values.profile,
  port: Number(values.port),
  seed: Number(values.seed),
  ...(latency ? { latencyMs: { min: latency.a, max: latency.b } } : {}),
  ...(values.rpm ? { rpm: num(values.rpm)! } : {}),
  ...(values.tpm ? { tpm: num(values.tpm)! } : {}),
  ...(values.window ? { windowMs: num(values.window)! } : {}),
  ...(values['max-concurrent'] ? { maxConcurrent: num(values['max-concurrent'])! } : {}),
  ...(values['error-rate'] ? { errorRate: num(values['error-rate'])! } : {}),
  outages: (values.outage ?? []).map((o) => {
    const r = range(o)
    return { start: r.a, end: r.b }
  }),
})
console.log(`sluice-sim (${sim.profile.name}) listening on ${sim.url}`)
const stop = async () => {
  await sim.close()
  console.log(JSON.stringify(sim.stats))
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
