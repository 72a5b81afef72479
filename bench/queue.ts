// The durable queue against BullMQ (same Redis), pg-boss 10 and graphile-worker (same PostgreSQL),
// in one run: the same 20,000 no-op jobs drained at concurrency 16 (jobs/s, the median of
// alternating rounds), and enqueue→start latency with idle workers at a steady 500 jobs/s
// (p50/p99, medians of alternating rounds too). On PostgreSQL Sluice runs twice, with a per-job handler and with a batch handler (up
// to 1,000 jobs per claim, as pg-boss's largest batch here). Then the memory queue's rate with
// 20,000 jobs queued against 2,000.
import { memoryStore, QueueClient, type Store } from '@sluice/core'
import { postgresStore } from '@sluice/postgres'
import { redisStore } from '@sluice/redis'
import { Queue, Worker } from 'bullmq'
import { Logger, makeWorkerUtils, run } from 'graphile-worker'
import { Redis } from 'ioredis'
import pg from 'pg'
import PgBoss from 'pg-boss'
import { DATABASE_URL, ensureServices, REDIS_URL } from '../scripts/services.mjs'
import { throughput } from './stats'

const JOBS = Number(process.env.BENCH_QUEUE_JOBS ?? 20_000)
const CONCURRENCY = 16
const PRODUCERS = 64
const RATE = 500
/** Finished jobs kept, as Sluice's stores keep them by default. */
const KEPT = { age: 3_600, count: 10_000 }
const LATENCY_JOBS = Number(process.env.BENCH_QUEUE_LATENCY_JOBS ?? 2_000)
const WARMUP = 250
/** Which servers to run (`redis,postgres,memory` by default), to look at one of them alone. */
const ONLY = new Set((process.env.BENCH_QUEUE_ONLY ?? 'redis,postgres,memory').split(','))

/** One queue system as the bench drives it: jobs carry the time they were enqueued. */
interface Contender {
  name: string
  /** Adds one job whose handler will call `started(sentAt)`. */
  add(i: number, sentAt: number): Promise<unknown>
  /** Starts workers (concurrency 16) that call `onStart(sentAt)` for each job. */
  work(onStart: (sentAt: number) => void): Promise<void>
  stopWork(): Promise<void>
  close(): Promise<void>
}

interface Result {
  name: string
  enqueuePerSec: number
  jobsPerSec: number
  p50: number
  p99: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN
}

async function drain(c: Contender, jobs: number): Promise<{ enqueuePerSec: number; jobsPerSec: number }> {
  const enqueuePerSec = await throughput((i) => c.add(i, 0), jobs, PRODUCERS)
  let done = 0
  let resolve!: () => void
  const all = new Promise<void>((r) => {
    resolve = r
  })
  const start = performance.now()
  await c.work(() => {
    if (++done === jobs) resolve()
  })
  await all
  const jobsPerSec = (jobs / (performance.now() - start)) * 1000
  await c.stopWork()
  return { enqueuePerSec, jobsPerSec }
}

/**
 * Idle workers; jobs sent one at a time at a steady rate; enqueue→start per job. The first
 * WARMUP jobs (connections opening, code warming up) are sent the same way and not counted.
 */
async function latency(c: Contender): Promise<{ p50: number; p99: number }> {
  const waits: number[] = []
  let seen = 0
  await c.work((sentAt) => {
    if (sentAt >= 0) waits.push(performance.now() - sentAt)
    seen++
  })
  await sleep(1_000) // every worker has polled once and sleeps: only a wake-up (or a poll) starts a job
  const total = WARMUP + LATENCY_JOBS
  const t0 = performance.now()
  const adds: Promise<unknown>[] = []
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE
    const ahead = due - performance.now()
    if (ahead > 1) await sleep(ahead)
    adds.push(c.add(i, i < WARMUP ? -1 : performance.now()))
  }
  await Promise.all(adds)
  const deadline = performance.now() + 30_000
  while (seen < total && performance.now() < deadline) await sleep(20)
  await c.stopWork()
  return { p50: pct(waits, 0.5), p99: pct(waits, 0.99) }
}

/**
 * Sluice's queue; with `batch`, a batch handler taking up to that many jobs per claim. `oneUser`:
 * a newcomer's first try, every job from one user and every option at its default but the cap on
 * one user's pending jobs (which 20,000 jobs need) and the bench's concurrency.
 */
function sluice(name: string, store: () => Store, batch?: number, oneUser = false): Contender {
  const s = store()
  const queue = new QueueClient(
    oneUser
      ? { store: s, maxPendingPerUser: JOBS }
      : { store: s, maxPendingPerUser: JOBS, pollInterval: '2s' },
  )
  let worker: { stop(): Promise<unknown> } | undefined
  return {
    name: batch ? `${name} (batch ${batch})` : oneUser ? `${name}, one user` : name,
    add: (i, sentAt) => queue.enqueue({ type: 'noop', userId: oneUser ? 'u' : `u${i % 50}`, data: sentAt }),
    async work(onStart) {
      worker = batch
        ? queue.processBatch<number, null>(
            'noop',
            async (jobs) =>
              jobs.map(({ data }) => {
                onStart(data)
                return null
              }),
            { concurrency: CONCURRENCY, maxSize: batch },
          )
        : queue.process<number>(
            'noop',
            async ({ data }) => {
              onStart(data)
            },
            oneUser ? { concurrency: CONCURRENCY } : { concurrency: CONCURRENCY, batchSize: CONCURRENCY },
          )
    },
    async stopWork() {
      await worker?.stop()
    },
    async close() {
      await queue.close()
      await s.close?.()
    },
  }
}

function bullmq(prefix: string): Contender {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null })
  const queue = new Queue('noop', { connection, prefix })
  let worker: Worker | undefined
  return {
    name: 'BullMQ (Redis)',
    add: (_i, sentAt) => queue.add('noop', sentAt, { removeOnComplete: KEPT, removeOnFail: KEPT }),
    async work(onStart) {
      worker = new Worker(
        'noop',
        async (job) => {
          onStart(job.data as number)
        },
        {
          connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }),
          prefix,
          concurrency: CONCURRENCY,
        },
      )
      await worker.waitUntilReady()
    },
    async stopWork() {
      await worker?.close()
      await worker?.disconnect()
    },
    async close() {
      await queue.obliterate({ force: true })
      await queue.close()
      connection.disconnect()
    },
  }
}

function pgBoss(schema: string, batchSize: number): Contender {
  const boss = new PgBoss({ connectionString: DATABASE_URL, schema, supervise: false, schedule: false })
  boss.on('error', () => {})
  let started: Promise<unknown> | undefined
  const ready = () => (started ??= boss.start().then(() => boss.createQueue('noop')))
  return {
    name: `pg-boss 10 (batch ${batchSize})`,
    add: async (_i, sentAt) => {
      await ready()
      return boss.send('noop', { sentAt })
    },
    async work(onStart) {
      await ready()
      // Concurrency 16: sixteen pollers, each fetching up to `batchSize` jobs at a time.
      for (let w = 0; w < CONCURRENCY; w++) {
        await boss.work<{ sentAt: number }>(
          'noop',
          { batchSize, pollingIntervalSeconds: 0.5 },
          async (jobs) => {
            for (const job of jobs) onStart(job.data.sentAt)
          },
        )
      }
    },
    async stopWork() {
      await boss.offWork('noop')
    },
    async close() {
      // Graceful: its workers end before its pool closes (a worker left fetching kept
      // offWork's wait loop, and with it the process, alive).
      await boss.stop({ graceful: true, wait: true, timeout: 5_000 })
    },
  }
}

function graphile(schema: string): Contender {
  const quiet = new Logger(() => () => {})
  const utils = makeWorkerUtils({ connectionString: DATABASE_URL, schema, logger: quiet })
  let runner: Awaited<ReturnType<typeof run>> | undefined
  return {
    name: 'graphile-worker (PostgreSQL)',
    add: async (_i, sentAt) => (await utils).addJob('noop', { sentAt }),
    async work(onStart) {
      runner = await run({
        connectionString: DATABASE_URL,
        schema,
        concurrency: CONCURRENCY,
        noHandleSignals: true,
        pollInterval: 2_000,
        logger: quiet,
        taskList: {
          noop: async (payload) => {
            onStart((payload as { sentAt: number }).sentAt)
          },
        },
      })
    },
    async stopWork() {
      await runner?.stop()
    },
    async close() {
      await (await utils).release()
    },
  }
}

const ROUNDS = Number(process.env.BENCH_QUEUE_ROUNDS ?? 3)
const LATENCY_ROUNDS = Number(process.env.BENCH_QUEUE_LATENCY_ROUNDS ?? 3)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function drainFresh(make: () => Contender) {
  const c = make()
  try {
    return { name: c.name, ...(await drain(c, JOBS)) }
  } finally {
    await c.close()
  }
}

/**
 * The contenders of one server: their latency one after another, then drained in alternating
 * rounds (the machine's noise hits all alike; medians reported).
 */
async function measureGroup(makers: (() => Contender)[]): Promise<Result[]> {
  // Latency first, on a quiet server (after the drains, vacuum and checkpoints would land on
  // whoever is measured first), in alternating rounds too: one stall of the machine (a
  // checkpoint's fsync, a pause of the process) lifts one round's p99, not the figure.
  const latencies = makers.map(() => [] as { p50: number; p99: number }[])
  for (let r = 0; r < LATENCY_ROUNDS; r++) {
    for (const [i, make] of makers.entries()) {
      const c = make()
      try {
        await sleep(1_000)
        latencies[i]!.push(await latency(c))
      } finally {
        await c.close()
      }
    }
  }
  const drains = makers.map(() => [] as { name: string; enqueuePerSec: number; jobsPerSec: number }[])
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, make] of makers.entries()) drains[i]!.push(await drainFresh(make))
  }
  return drains.map((d, i) => ({
    name: d[0]!.name,
    enqueuePerSec: median(d.map((x) => x.enqueuePerSec)),
    jobsPerSec: median(d.map((x) => x.jobsPerSec)),
    p50: median(latencies[i]!.map((x) => x.p50)),
    p99: median(latencies[i]!.map((x) => x.p99)),
  }))
}

function print(results: Result[]): void {
  console.log(
    `\n${'queue'.padEnd(34)} ${'enqueue/s'.padStart(10)} ${'jobs/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`,
  )
  for (const r of results) {
    console.log(
      `${r.name.padEnd(34)} ${Math.round(r.enqueuePerSec).toString().padStart(10)} ${Math.round(r.jobsPerSec).toString().padStart(8)} ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)}`,
    )
  }
}

export async function queue(): Promise<void> {
  await ensureServices()
  const tag = `bq_${process.pid}_${Date.now().toString(36)}`
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
  const schemas: string[] = []
  const schemaFor = (name: string) => {
    const s = `${tag}_${name}`
    schemas.push(s)
    return s
  }
  let n = 0
  const redis = new Redis(REDIS_URL)
  console.log(
    `${JOBS} no-op jobs from ${PRODUCERS} producers, drained at concurrency ${CONCURRENCY}; latency: ${LATENCY_JOBS} jobs at ${RATE}/s to idle workers, after ${WARMUP} not counted (median of ${LATENCY_ROUNDS} rounds)`,
  )
  try {
    if (ONLY.has('redis')) {
      const onRedis = await measureGroup([
        () => sluice('sluice (Redis)', () => redisStore({ client: redis, prefix: `${tag}_s${n++}` })),
        () =>
          sluice(
            'sluice (Redis)',
            () => redisStore({ client: redis, prefix: `${tag}_s${n++}` }),
            undefined,
            true,
          ),
        () => bullmq(`${tag}_b${n++}`),
      ])
      print(onRedis)
      const [ours, oneUser, bull] = onRedis as [Result, Result, Result]
      console.log(
        `ratio sluice / BullMQ: jobs/s ${(ours.jobsPerSec / bull.jobsPerSec).toFixed(2)}x, p99 ${(ours.p99 / bull.p99).toFixed(2)}x; one user, default options: jobs/s ${(oneUser.jobsPerSec / bull.jobsPerSec).toFixed(2)}x, p99 ${(oneUser.p99 / bull.p99).toFixed(2)}x`,
      )
    }

    if (ONLY.has('postgres')) {
      const batches = [50, 250, 1000]
      const pgStore = () => postgresStore({ connectionString: DATABASE_URL, schema: schemaFor(`s${n++}`) })
      const onPostgres = await measureGroup([
        () => sluice('sluice (PostgreSQL)', pgStore),
        () => sluice('sluice (PostgreSQL)', pgStore, undefined, true),
        () => sluice('sluice (PostgreSQL)', pgStore, 1000),
        ...batches.map((batch) => () => pgBoss(schemaFor(`p${n++}`), batch)),
        () => graphile(schemaFor(`g${n++}`)),
      ])
      print(onPostgres)
      const [oursPg, oursPgOneUser, oursPgBatch, ...others] = onPostgres as [
        Result,
        Result,
        Result,
        ...Result[],
      ]
      const bosses = others.slice(0, batches.length)
      const gw = others.at(-1)!
      const best = bosses.reduce((a, b) => (b.jobsPerSec > a.jobsPerSec ? b : a))
      console.log(
        `ratio sluice / ${best.name} (its best batch size): per-job handler ${(oursPg.jobsPerSec / best.jobsPerSec).toFixed(2)}x, batch handler ${(oursPgBatch.jobsPerSec / best.jobsPerSec).toFixed(2)}x; per-job / graphile-worker ${(oursPg.jobsPerSec / gw.jobsPerSec).toFixed(2)}x; one user, default options: ${(oursPgOneUser.jobsPerSec / best.jobsPerSec).toFixed(2)}x pg-boss; per-job p99 ${oursPg.p99.toFixed(1)} ms (goal ≤ 10 ms at ${RATE}/s)`,
      )
    }

    if (ONLY.has('memory')) {
      // The memory queue: a claim costs O(log n), so a deep backlog must not slow it down.
      const rate = async (jobs: number) => {
        const c = sluice('memory', () => memoryStore())
        try {
          return (await drain(c, jobs)).jobsPerSec
        } finally {
          await c.close()
        }
      }
      const small = await rate(2_000)
      const large = await rate(20_000)
      console.log(
        `\nmemory queue: ${Math.round(small)} jobs/s with 2,000 queued, ${Math.round(large)} with 20,000 (${(large / small).toFixed(2)}x)`,
      )
    }
  } finally {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => {})
    await admin.end()
    // Sluice's Redis stores keep finished jobs (an hour, 10,000 of them): this run's keys go.
    for (let cursor = '0'; ; ) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${tag}_*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.unlink(...keys)
      cursor = next
      if (cursor === '0') break
    }
    redis.disconnect()
  }
}
