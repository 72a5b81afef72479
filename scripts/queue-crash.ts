// The queue crash test, the same for every shared store: worker processes run jobs while one of
// them is killed with SIGKILL every second and restarted. Afterwards every job must be completed
// with its own result, and no job may have run on two workers at once (from each run's start to
// its end, its abort, or its process's death).
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { QueueClient, Store } from '@sluice/core'

export interface CrashReport {
  jobs: number
  completed: number
  wrongResults: number
  kills: number
  /** Jobs that started more than once (each after a kill: at-least-once). */
  reran: number
  /** Pairs of runs of one job that overlapped in time on two workers: must be 0. */
  overlaps: number
}

interface Run {
  worker: number
  start: number
  end?: number
}

export async function crashTest(o: {
  /** The fixture (scripts/queue-workers.mjs): argv = namespace, 'crash', log file. */
  script: string
  env: NodeJS.ProcessEnv
  namespace: string
  /** The same store as the workers use, in this process, to enqueue and check. */
  store: Store
  QueueClient: typeof QueueClient
  jobs?: number
  workers?: number
  killEveryMs?: number
  timeoutMs?: number
}): Promise<CrashReport> {
  const total = o.jobs ?? 10_000
  const dir = mkdtempSync(join(tmpdir(), 'sluice-crash-'))
  const deaths = new Map<number, number>() // worker number → when it was seen dead
  const spawnWorker = (n: number) => {
    const child = spawn(process.execPath, [o.script, o.namespace, 'crash', join(dir, `w${n}.log`)], {
      env: o.env,
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    child.on('exit', () => deaths.set(n, Date.now()))
    return child
  }
  let spawned = 0
  const workers: ChildProcess[] = Array.from({ length: o.workers ?? 3 }, () => spawnWorker(spawned++))
  const queue = new o.QueueClient({ store: o.store, maxPendingPerUser: total })
  const ids: string[] = []
  let kills = 0
  let done = false
  // Kills go on from the start, while jobs are still being enqueued, until every job completed.
  const killing = (async () => {
    while (!done) {
      await new Promise((r) => setTimeout(r, o.killEveryMs ?? 1_000))
      if (done) return
      const at = kills % workers.length
      const victim = workers[at]!
      const dead = new Promise((r) => victim.once('exit', r))
      victim.kill('SIGKILL')
      await dead
      kills++
      workers[at] = spawnWorker(spawned++)
    }
  })()
  try {
    for (let i = 0; i < total; i += 100) {
      const batch = Array.from({ length: Math.min(100, total - i) }, (_, k) =>
        queue.enqueue({ type: 'crash', userId: `u${(i + k) % 50}`, data: i + k, expireAfter: '10m' }),
      )
      for (const { id } of await Promise.all(batch)) ids.push(id)
    }
    const deadline = Date.now() + (o.timeoutMs ?? 150_000)
    while ((await queue.counts('crash')).completed < total && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100))
    }
  } finally {
    done = true
    await killing
    await Promise.all(
      workers.map((w) => {
        if (w.exitCode !== null || w.signalCode !== null) return undefined
        const gone = new Promise((r) => w.once('exit', r))
        w.kill('SIGTERM')
        return gone
      }),
    )
    await queue.close()
  }
  let completed = 0
  let wrongResults = 0
  for (let i = 0; i < ids.length; i += 200) {
    const jobs = await Promise.all(ids.slice(i, i + 200).map((id) => o.store.queue!.get(id)))
    jobs.forEach((job, k) => {
      if (job?.status !== 'completed') return
      completed++
      if (job.result !== String(i + k)) wrongResults++
    })
  }
  const runs = readRuns(dir, deaths)
  rmSync(dir, { recursive: true, force: true })
  let reran = 0
  let overlaps = 0
  for (const list of runs.values()) {
    if (list.length > 1) reran++
    for (let a = 0; a < list.length; a++)
      for (let b = a + 1; b < list.length; b++) {
        const x = list[a]!
        const y = list[b]!
        const xEnd = x.end ?? Number.POSITIVE_INFINITY
        const yEnd = y.end ?? Number.POSITIVE_INFINITY
        if (x.start < yEnd && y.start < xEnd) overlaps++
      }
  }
  return { jobs: total, completed, wrongResults, kills, reran, overlaps }
}

// Each log line: S|E|A, job id, ms. A run without an end ended when its process died.
function readRuns(dir: string, deaths: Map<number, number>): Map<string, Run[]> {
  const runs = new Map<string, Run[]>()
  for (const file of readdirSync(dir)) {
    const open = new Map<string, Run>()
    const worker = Number(file.replace(/\D/g, ''))
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const [kind, id, at] = line.split(' ')
      if (!kind || !id || !at) continue
      if (kind === 'S') {
        const run: Run = { worker, start: Number(at) }
        open.set(id, run)
        runs.set(id, [...(runs.get(id) ?? []), run])
      } else {
        const run = open.get(id)
        if (run) run.end = Number(at)
        open.delete(id)
      }
    }
    for (const run of open.values()) run.end = deaths.get(worker) ?? run.end
  }
  return runs
}

/** What every backend's crash test asserts, and prints. */
export function expectCrashReport(
  name: string,
  report: CrashReport,
  expect: (v: unknown) => {
    toBe(v: unknown): void
    toBeGreaterThan(n: number): void
    toBeLessThanOrEqual(n: number): void
  },
): void {
  console.log(`${name} crash test: ${JSON.stringify(report)}`)
  expect(report.completed).toBe(report.jobs)
  expect(report.wrongResults).toBe(0)
  expect(report.overlaps).toBe(0)
  expect(report.kills).toBeGreaterThan(2)
  // Re-runs come from kills only: a killed worker had at most 8 jobs running and 8 more whose
  // handler had ended but whose result was still on its way to the store (Worker: settles travel
  // without their slot, up to `concurrency` of them).
  expect(report.reran).toBeLessThanOrEqual(report.kills * 16)
}
