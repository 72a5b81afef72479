// The language tutor of seed 000 as a small fleet: two app instances and a worker process on
// PostgreSQL (queue, usage, user_costs) and Redis (cache, limits), the simulator as DeepSeek.
// Drives a short load, prints a summary, and exits 1 if a control did not do its job.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startSimulator } from '@sluice/simulator'
import { Redis } from 'ioredis'
import pg from 'pg'
import { deleteKeys } from '../../scripts/redis-keys'
import { DATABASE_URL, ensureServices, REDIS_URL } from '../../scripts/services.mjs'

interface Report {
  role: string
  requests: number
  answered: number
  cached: number
  coalesced: number
  batched: number
  refused: Record<string, number>
  unexpected: string[]
  saved: { calls: number; usd: number }
}

await ensureServices()
const name = `tutor_${process.pid}_${Date.now().toString(36)}`
const sim = await startSimulator({ profile: 'deepseek', latencyMs: { min: 50, max: 150 } })
const settings = JSON.stringify({ redisUrl: REDIS_URL, databaseUrl: DATABASE_URL, name, simUrl: sim.url })
const here = fileURLToPath(new URL('./instance.ts', import.meta.url))

function start(role: string): { child: ChildProcess; out: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', here, role, settings], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let text = ''
  const out = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      text += d
    })
    child.once('exit', (code) =>
      code === 0 ? resolve(text) : reject(new Error(`${role} exited with ${code}`)),
    )
  })
  out.catch(() => {})
  return { child, out }
}

const db = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
let failed: string[] = []
try {
  console.log('language tutor: 2 app instances + 1 worker, PostgreSQL (queue, usage) + Redis (cache, limits)')
  const worker = start('worker')
  await new Promise<void>((resolve) => {
    worker.child.stdout!.on('data', (d) => String(d).includes('ready') && resolve())
  })
  const started = performance.now()
  const apps = await Promise.all(['app-a', 'app-b'].map((r) => start(r).out))
  const elapsed = performance.now() - started
  worker.child.kill('SIGTERM')
  await worker.out
  const reports = apps.map((text) => JSON.parse(text.trim().split('\n').at(-1)!) as Report)
  const sum = (f: (r: Report) => number) => reports.reduce((n, r) => n + f(r), 0)
  const refused = (code: string) => sum((r) => r.refused[code] ?? 0)
  const costs = await db.query<{ user_id: string; total_cost: number; total_requests: string }>(
    `SELECT user_id, total_cost, total_requests FROM "${name}".user_costs ORDER BY user_id`,
  )
  const jobs = await db.query<{ agent_type: string; status: string; n: string }>(
    `SELECT agent_type, status, count(*) AS n FROM "${name}".agent_queue GROUP BY 1, 2`,
  )
  const rows: [string, string | number][] = [
    ['requests (both instances)', sum((r) => r.requests)],
    ['answered', sum((r) => r.answered)],
    ['rate-limited (ana: 14 checks, 10/min, across both instances)', refused('rate_limited')],
    ['answered from the cache', sum((r) => r.cached)],
    ['shared with an identical call in flight (any instance)', sum((r) => r.coalesced)],
    ['answered in a batch (translations per language)', sum((r) => r.batched)],
    ['upstream calls (all made by the worker process)', sim.stats.requests],
    [
      'queued jobs completed (agent_queue)',
      jobs.rows.filter((j) => j.status === 'completed').reduce((n, j) => n + Number(j.n), 0),
    ],
    ['time', `${(elapsed / 1000).toFixed(1)} s`],
    ...costs.rows.map((c): [string, string] => [
      `user_costs: ${c.user_id}`,
      `$${Number(c.total_cost).toFixed(6)} over ${c.total_requests} calls`,
    ]),
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  console.log(rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n'))
  failed = [
    ...reports.flatMap((r) => r.unexpected.map((u) => `${r.role}: ${u}`)),
    refused('rate_limited') !== 4 && `expected exactly 4 rate-limited checks, got ${refused('rate_limited')}`,
    sum((r) => r.answered) + refused('rate_limited') + refused('budget_exceeded') !==
      sum((r) => r.requests) && 'requests went missing',
    sim.stats.requests >= sum((r) => r.answered) && 'the cache, coalescing and batching saved nothing',
    sum((r) => r.batched) === 0 && 'no translation was batched',
    costs.rows.length === 0 && 'user_costs is empty',
  ].filter((x): x is string => typeof x === 'string')
} finally {
  await db.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`).catch(() => {})
  await db.end()
  const redis = new Redis(REDIS_URL)
  await deleteKeys(redis, `${name}:*`)
  redis.disconnect()
  await sim.close()
}
if (failed.length > 0) {
  console.error(`\nlanguage tutor FAILED:\n- ${failed.join('\n- ')}`)
  process.exit(1)
}
console.log('\nlanguage tutor OK: limits held across instances, the worker answered every queued call.')
