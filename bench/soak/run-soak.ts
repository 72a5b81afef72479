// The soak: app and worker processes on a store of their own (Redis with an append-only file, or
// PostgreSQL) for a set time under a mixed load from 100,000 users, with one worker killed -9 and
// the store restarted mid-run. Each interval it prints throughput, latency, each process's heap
// and RSS, the store's memory and rows, queue depth, and the three counts that must stay 0: jobs
// lost, calls over a limit or a budget, stalls (a worker idle while jobs wait).
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Store } from '@sluice/core'
import { migrate, postgresStore } from '@sluice/postgres'
import { redisStore } from '@sluice/redis'
import { startSimulator } from '@sluice/simulator'
import { Redis } from 'ioredis'
import pg from 'pg'
import { type OwnPostgres, startOwnPostgres } from '../../scripts/own-postgres'
import { type OwnRedis, startOwnRedis } from '../../scripts/own-redis'
import { SOAK } from './soak-config.mjs'
import { type Flatness, judgeFlatness } from './soak-flatness'
import { type Interval, SoakLedger } from './soak-ledger'

export interface SoakOptions {
  store: 'redis' | 'postgres'
  durationMs: number
  /** One report line per this long (a minute by default). */
  reportEveryMs?: number
  apps?: number
  workers?: number
  /** Calls (and jobs) per second per app process. */
  rate?: number
  /** Flatness is judged on the intervals after this long (2 minutes by default). */
  warmUpMs?: number
  print?: (line: string) => void
}

export interface SoakReport {
  store: string
  intervals: Interval[]
  lost: number
  overLimit: number
  overBudget: number
  stalls: number
  jobs: { ok: number; wrong: number; lost: number; refused: number }
  calls: number
  errors: Record<string, number>
  kills: number
  restarts: number
  flatness: Flatness
  warmUpMs: number
}

const CHILD = fileURLToPath(new URL('./soak-child.mjs', import.meta.url))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Proc {
  role: 'app' | 'worker'
  index: number
  child: ChildProcess
  startedAt: number
  ready: Promise<void>
  final?: Promise<unknown>
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const print = o.print ?? console.log
  const reportEvery = o.reportEveryMs ?? 60_000
  const sim = await startSimulator({ profile: 'deepseek', latencyMs: { min: 20, max: 80 } })
  let own: OwnRedis | OwnPostgres | undefined
  let probe: Store | undefined
  let pool: pg.Pool | undefined
  let redis: Redis | undefined
  const procs: Proc[] = []
  const ledger = new SoakLedger(SOAK)
  try {
    let url: string
    if (o.store === 'redis') {
      own = await startOwnRedis({ appendOnly: true })
      url = own.url
      redis = new Redis(url, { maxRetriesPerRequest: 1 })
      redis.on('error', () => {})
      probe = redisStore({
        client: new Redis(url, { maxRetriesPerRequest: 1 }).on('error', () => {}),
        prefix: 'soak',
      })
    } else {
      own = await startOwnPostgres()
      url = own.url
      pool = new pg.Pool({ connectionString: url, max: 2 })
      pool.on('error', () => {})
      await migrate(pool)
      probe = postgresStore({ pool, housekeeping: false, onError: () => {} })
    }
    const spawnProc = (role: 'app' | 'worker', index: number): Proc => {
      const args = [CHILD, role, o.store, url, sim.url, String(index), String(o.rate ?? 40)]
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
      let ready!: () => void
      let final!: (v: unknown) => void
      const proc: Proc = {
        role,
        index,
        child,
        startedAt: Date.now(),
        ready: new Promise<void>((r) => {
          ready = r
        }),
      }
      proc.final = new Promise((r) => {
        final = r
      })
      child.on('exit', () => final(undefined))
      createInterface({ input: child.stdout! }).on('line', (text) => {
        let line: { type: string } & Record<string, unknown>
        try {
          line = JSON.parse(text)
        } catch {
          return
        }
        if (line.type === 'ready') ready()
        else if (line.type === 'tick') ledger.tick(proc.role, proc.index, line as never)
        else if (line.type === 'lost') ledger.lostJob()
        else if (line.type === 'final') {
          ledger.final(line as never)
          final(line)
        }
      })
      procs.push(proc)
      return proc
    }
    const workers = Array.from({ length: o.workers ?? 2 }, (_, i) => spawnProc('worker', i))
    await Promise.all(workers.map((w) => w.ready))
    const apps = Array.from({ length: o.apps ?? 2 }, (_, i) => spawnProc('app', i))
    await Promise.all(apps.map((a) => a.ready))
    const started = Date.now()
    ledger.start(started)
    let kills = 0
    let restarts = 0
    const killAt = started + o.durationMs / 3
    const restartAt = started + (o.durationMs * 2) / 3
    let nextReport = started + reportEvery
    while (Date.now() < started + o.durationMs) {
      await sleep(1_000)
      const now = Date.now()
      const depth = await probe!.queue!.counts('soak.job').catch(() => undefined)
      ledger.depth(now, depth?.pending)
      if (kills === 0 && now >= killAt) {
        const victim = workers[0]!
        victim.child.kill('SIGKILL')
        await victim.final
        ledger.fault(`worker ${victim.index}`, now, Date.now() + 5_000)
        workers[0] = spawnProc('worker', victim.index)
        await workers[0].ready
        ledger.fault(`worker ${victim.index}`, now, Date.now() + 5_000)
        kills++
      }
      if (restarts === 0 && now >= restartAt) {
        const down = Date.now()
        if ('restart' in own!) {
          await own.kill()
          await own.restart()
        } else {
          await own!.shutdown()
          await own!.start()
        }
        ledger.fault('store', down, Date.now() + 10_000)
        restarts++
      }
      if (now >= nextReport) {
        print(await reportLine(ledger, () => storeFacts(o.store, redis, pool)))
        nextReport += reportEvery
      }
    }
    // The end: apps stop sending and wait for what they sent; then the workers stop.
    for (const a of apps) a.child.kill('SIGTERM')
    await Promise.race([Promise.all(apps.map((a) => a.final)), sleep(SOAK.jobDeadlineMs + 30_000)])
    print(await reportLine(ledger, () => storeFacts(o.store, redis, pool)))
    const summary = ledger.summary()
    // Judged on the intervals of the load itself (not the drain after it), past the warm-up.
    const warmUpMs = o.warmUpMs ?? 120_000
    const samples = summary.intervals
      .filter((i) => i.atMs <= o.durationMs + 1_000)
      .map((i) => ({ at: i.atMs, rows: i.rows, usersSeen: i.usersSeen, heapMB: i.heapMeanMB }))
    const flatness = judgeFlatness(samples, warmUpMs)
    return { store: o.store, ...summary, kills, restarts, flatness, warmUpMs }
  } finally {
    for (const p of procs)
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM')
    await Promise.race([Promise.all(procs.map((p) => p.final)), sleep(10_000)])
    for (const p of procs)
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
    await probe?.close?.()
    redis?.disconnect()
    await pool?.end().catch(() => {})
    await own?.stop()
    await sim.close()
  }
}

/**
 * One report line: the store read now, the line made once every call sent by then has been told
 * (the processes tick each second), so its users seen cover every user the store's rows count.
 */
async function reportLine(
  ledger: SoakLedger,
  read: () => Promise<{ memoryMB?: number; rows?: Record<string, number> }>,
): Promise<string> {
  const facts = await read()
  const readAt = Date.now()
  await sleep(1_200)
  return ledger.line(facts, readAt)
}

/** The store's memory and row counts now (undefined while it is down). */
async function storeFacts(
  kind: 'redis' | 'postgres',
  redis: Redis | undefined,
  pool: pg.Pool | undefined,
): Promise<{ memoryMB?: number; rows?: Record<string, number> }> {
  try {
    if (kind === 'redis') {
      const info = await redis!.info('memory')
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN)
      // Per-user spend counters (a day's and a month's per user seen) grow with the users seen,
      // up to two per user; everything else should stay flat. Counted by SCAN, which skips keys
      // that expired but are not reclaimed yet (DBSIZE counts those).
      let spend = 0
      let other = 0
      for await (const keys of redis!.scanStream({ count: 1000 }))
        for (const key of keys as string[]) {
          if (key.includes(':sluice:spend:')) spend++
          else other++
        }
      return { memoryMB: used / 1048576, rows: { 'user spend keys': spend, 'other keys': other } }
    }
    const tables = [
      'agent_queue',
      'api_usage',
      'api_usage_daily',
      'cache_store',
      'queue_ranks',
      'rate_limits',
      'spend_totals',
    ]
    const { rows } = await pool!.query(
      `SELECT ${tables.map((t) => `(SELECT count(*) FROM sluice.${t})::int AS ${t}`).join(', ')},
              pg_database_size(current_database())::float8 AS bytes`,
    )
    const { bytes, ...counts } = rows[0] as Record<string, number>
    return { memoryMB: bytes! / 1048576, rows: counts }
  } catch {
    return {}
  }
}
