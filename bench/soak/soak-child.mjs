// One process of the soak (bench/soak/run-soak.ts): an app instance that sends a mixed load, or
// a worker that runs queued chats and jobs. argv: role (app|worker), store (redis|postgres),
// store URL, simulator URL, process number, calls per second (apps). Writes one JSON line a
// second to stdout ({ type: 'tick', … }); on SIGTERM an app stops sending, waits for its calls
// and jobs, and writes { type: 'final', … }; a worker stops cleanly.
import { createSluice, deepseek, QueueClient } from '@sluice/core'
import { postgresStore } from '@sluice/postgres'
import { redisStore } from '@sluice/redis'
import { Redis } from 'ioredis'
import { SOAK } from './soak-config.mjs'

const [role, kind, storeUrl, simUrl, index, rateArg] = process.argv.slice(2)
const rate = Number(rateArg ?? 0)
const emit = (line) => process.stdout.write(`${JSON.stringify(line)}\n`)

function makeStore() {
  if (kind === 'redis') {
    // A client that keeps trying through a restart; calls past the store's timeout fail fast.
    const client = new Redis(storeUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: true })
    client.on('error', () => {})
    return redisStore({
      client,
      prefix: 'soak',
      jobRetention: SOAK.jobRetention,
      maxUsageRows: SOAK.usageRows,
    })
  }
  return postgresStore({
    connectionString: storeUrl,
    jobRetention: SOAK.jobRetention,
    usageRollupAfter: SOAK.usageRollupAfter,
    housekeeping: SOAK.housekeeping,
    onError: () => {},
  })
}

const store = makeStore()
const provider = deepseek({ baseURL: simUrl, apiKey: 'sim' })
const base = {
  store,
  providers: [provider],
  tiers: SOAK.tiers,
  defaultTier: 'free',
  rateLimit: { onStoreError: 'closed' },
  cache: { ttl: { default: SOAK.cacheTtl } },
  batch: { translate: { groupBy: (req) => String(req.messages[0]?.content), maxSize: 20, windowMs: 200 } },
}
const queueOptions = { lease: SOAK.lease, timeout: SOAK.queuedTimeout, maxPendingPerUser: 10_000 }

const counts = () => ({ started: 0, done: 0 })
let tick = { calls: {}, errors: {}, latencies: {}, jobs: counts(), hot: [], users: [] }
const memory = () => {
  const m = process.memoryUsage()
  return { heapMB: m.heapUsed / 1048576, rssMB: m.rss / 1048576 }
}
setInterval(() => {
  emit({ type: 'tick', role, index: Number(index), at: Date.now(), ...tick, ...memory() })
  tick = { calls: {}, errors: {}, latencies: {}, jobs: counts(), hot: [], users: [] }
}, 1000).unref()

if (role === 'worker') {
  const sluice = createSluice({ ...base, queue: { ...queueOptions, worker: true, concurrency: 32 } })
  const queue = new QueueClient({ store, ...queueOptions })
  const worker = queue.process(
    'soak.job',
    async ({ data }) => {
      tick.jobs.started++
      await new Promise((r) => setTimeout(r, 5 + (data % 15)))
      tick.jobs.done++
      return data * 2
    },
    { concurrency: 16 },
  )
  emit({ type: 'ready', role, index: Number(index) })
  await new Promise((r) => process.once('SIGTERM', r))
  await worker.stop(5_000)
  await sluice.close()
  await queue.close()
  await store.close?.()
  process.exit(0)
}

// An app instance: direct chats and streams, queued chats and batched translations, and jobs.
const direct = createSluice(base)
const queued = createSluice({ ...base, queue: { ...queueOptions, worker: false } })
const queue = new QueueClient({ store, ...queueOptions })
const random = (n) => Math.floor(Math.random() * n)
let inFlight = 0
let jobSeq = Number(index) * 1e9
const jobOutcomes = { ok: 0, wrong: 0, lost: 0, refused: 0 }

function pick() {
  const r = Math.random()
  let acc = 0
  for (const [kind, weight] of SOAK.mix) {
    acc += weight
    if (r < acc) return kind
  }
  return SOAK.mix[0][0]
}

function request(kind) {
  const n = random(SOAK.prompts)
  if (kind === 'batched') {
    const language = ['French', 'German', 'Spanish'][n % 3]
    return {
      model: 'deepseek-chat',
      max_tokens: 60,
      messages: [
        { role: 'system', content: `Translate into ${language}.` },
        { role: 'user', content: `sentence ${n}` },
      ],
    }
  }
  return { model: 'deepseek-chat', max_tokens: 60, messages: [{ role: 'user', content: `question ${n}` }] }
}

const ENDPOINT = { chat: 'chat', stream: 'chat', queued: 'ask', batched: 'translate' }

async function oneCall(kind, userId, tier) {
  const ctx = { userId, tier, endpoint: ENDPOINT[kind] }
  if (kind === 'stream') {
    const it = direct.stream(request(kind), ctx)
    for (;;) {
      const step = await it.next()
      if (step.done) return step.value
    }
  }
  const res = await (kind === 'chat' ? direct : queued).chat(request(kind), ctx)
  return res.sluice
}

/** A job, waited for through outages until its deadline: answered right, wrong, or lost. */
async function oneJob(userId) {
  const data = jobSeq++
  let id
  try {
    ;({ id } = await queue.enqueue({ type: 'soak.job', userId, data, expireAfter: '10m' }))
  } catch {
    jobOutcomes.refused++ // the caller heard it was not taken
    return
  }
  const deadline = Date.now() + SOAK.jobDeadlineMs
  while (Date.now() < deadline) {
    try {
      const result = await queue.wait(id, {
        userId,
        timeout: Math.max(1, Math.min(20_000, deadline - Date.now())),
      })
      jobOutcomes[result === data * 2 ? 'ok' : 'wrong']++
      return
    } catch (error) {
      if (error?.code !== 'store_unavailable' && error?.code !== 'queue_timeout') break
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  jobOutcomes.lost++
  emit({ type: 'lost', id })
}

async function fire() {
  const kind = pick()
  const isHot = Math.random() < SOAK.hotShare
  const userId = isHot ? `hot${random(SOAK.hotUsers)}` : `u${random(SOAK.users)}`
  const tier = isHot ? 'hot' : 'free'
  if (kind !== 'job') tick.users.push([userId, Date.now()])
  inFlight++
  const start = Date.now()
  try {
    if (kind === 'job') {
      await oneJob(userId)
      tick.calls.job = (tick.calls.job ?? 0) + 1
      return
    }
    const meta = await oneCall(kind, userId, tier)
    const end = Date.now()
    if (process.env.SOAK_DEBUG && end - start > 1000)
      process.stderr.write(`slow ${kind} ${end - start} ms ${JSON.stringify(meta)}\n`)
    tick.calls[kind] = (tick.calls[kind] ?? 0) + 1
    tick.latencies[kind] = [...(tick.latencies[kind] ?? []), end - start]
    if (isHot) tick.hot.push([userId, start, end, ENDPOINT[kind], meta?.costUsd ?? 0])
  } catch (error) {
    const code = error?.code ?? 'internal'
    tick.errors[code] = (tick.errors[code] ?? 0) + 1
  } finally {
    inFlight--
  }
}

let sending = true
const calls = new Set()
const loop = (async () => {
  const every = 1000 / rate
  let next = performance.now()
  while (sending) {
    next += every
    if (inFlight < SOAK.maxInFlight) {
      const p = fire()
      calls.add(p)
      p.finally(() => calls.delete(p))
    }
    const ahead = next - performance.now()
    if (ahead > 0) await new Promise((r) => setTimeout(r, ahead))
  }
})()
emit({ type: 'ready', role, index: Number(index) })
await new Promise((r) => process.once('SIGTERM', r))
sending = false
await loop
await Promise.all(calls)
emit({ type: 'final', index: Number(index), jobs: jobOutcomes })
await Promise.all([direct.close(), queued.close(), queue.close()])
await store.close?.()
process.exit(0)
