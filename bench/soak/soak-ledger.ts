// What the soak's processes report, added up: per interval, and the counts that must stay 0.
import type { SOAK as Config } from './soak-config.mjs'

export interface Tick {
  at: number
  calls: Record<string, number>
  errors: Record<string, number>
  /** Answered calls' latencies (ms), by kind. */
  latencies: Record<string, number[]>
  jobs: { started: number; done: number }
  heapMB: number
  rssMB: number
  /** Hot users' answered calls: user, start, end, endpoint, USD. */
  hot: [string, number, number, string, number][]
  /** The users of the calls sent in the tick that record usage (queue jobs do not), and when. */
  users?: [string, number][]
}

export interface Interval {
  minute: number
  /** ms since the run started, at the interval's end. */
  atMs: number
  callsPerSec: number
  p50: number
  p99: number
  /** p99 by kind of call. */
  p99By: Record<string, number>
  errors: Record<string, number>
  processes: Record<string, { heapMB: number; rssMB: number }>
  /** Each process's mean heap over the interval (MB). */
  heapMeanMB: Record<string, number>
  /** Distinct users of usage-recording calls so far. */
  usersSeen: number
  storeMB?: number
  rows?: Record<string, number>
  maxDepth: number
  lost: number
  overLimit: number
  overBudget: number
  stalls: number
}

type JobOutcomes = { ok: number; wrong: number; lost: number; refused: number }

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(p * s.length))]!
}

/** Adds up ticks; judges limits, budgets and stalls as they come. */
export class SoakLedger {
  private startedAt = 0
  private intervalStart = 0
  private calls = 0
  private latencies: Record<string, number[]> = Object.create(null)
  private errors: Record<string, number> = Object.create(null)
  private readonly allErrors: Record<string, number> = Object.create(null)
  private processes: Record<string, { heapMB: number; rssMB: number }> = Object.create(null)
  private heaps: Record<string, { sum: number; n: number }> = Object.create(null)
  /** Each user's first call. */
  private readonly users = new Map<string, number>()
  private maxDepth = 0
  private readonly intervals: Interval[] = []
  private lost = 0
  private overLimit = 0
  private overBudget = 0
  private stalls = 0
  private totalCalls = 0
  private readonly windows = new Map<string, number>()
  private readonly spend = new Map<string, number>()
  private readonly overSpent = new Set<string>()
  private readonly jobs: JobOutcomes = { ok: 0, wrong: 0, lost: 0, refused: 0 }
  /** Per worker: when it last started a job, when its process started, whether it is stalled now. */
  private readonly workers = new Map<number, { lastStart: number; since: number; stalled: boolean }>()
  private readonly faults: { who: string; from: number; to: number }[] = []
  private readonly depths: number[] = []

  constructor(private readonly c: typeof Config) {}

  start(at: number): void {
    this.startedAt = at
    this.intervalStart = at
  }

  tick(role: 'app' | 'worker', index: number, t: Tick): void {
    const name = `${role}${index}`
    this.processes[name] = { heapMB: t.heapMB, rssMB: t.rssMB }
    const heap = this.heaps[name] ?? { sum: 0, n: 0 }
    heap.sum += t.heapMB
    heap.n++
    this.heaps[name] = heap
    if (role === 'worker') {
      const w = this.workers.get(index)
      if (!w || t.at < w.since) this.workers.set(index, { lastStart: t.at, since: t.at, stalled: false })
      else if (t.jobs.started > 0) {
        w.lastStart = t.at
        w.stalled = false
      }
      return
    }
    // Users from the first tick on (calls sent before the clock starts make rows too).
    for (const [user, at] of t.users ?? []) this.users.set(user, Math.min(at, this.users.get(user) ?? at))
    if (this.startedAt === 0) return
    for (const [kind, n] of Object.entries(t.calls)) {
      this.calls += n
      if (kind !== 'job') this.totalCalls += n
    }
    for (const [kind, ms] of Object.entries(t.latencies))
      this.latencies[kind] = [...(this.latencies[kind] ?? []), ...ms]
    for (const [code, n] of Object.entries(t.errors)) {
      this.errors[code] = (this.errors[code] ?? 0) + n
      this.allErrors[code] = (this.allErrors[code] ?? 0) + n
    }
    for (const [user, start, end, endpoint, usd] of t.hot ?? [])
      this.answered(user, start, end, endpoint, usd)
  }

  /** A hot user's answered call: within its limit's window (when it surely fell in one), and its budget. */
  private answered(user: string, start: number, end: number, endpoint: string, usd: number): void {
    const w = Math.floor(start / this.c.windowMs)
    if (w === Math.floor(end / this.c.windowMs)) {
      const key = `${user}\n${endpoint}\n${w}`
      const n = (this.windows.get(key) ?? 0) + 1
      this.windows.set(key, n)
      if (n > this.c.limit) this.overLimit++
    }
    const spent = (this.spend.get(user) ?? 0) + usd
    this.spend.set(user, spent)
    if (spent > this.c.budgetUsd + this.c.callBoundUsd && !this.overSpent.has(user)) {
      this.overSpent.add(user)
      this.overBudget++
    }
  }

  lostJob(): void {
    this.lost++
  }

  final(line: { jobs: JobOutcomes }): void {
    for (const k of Object.keys(this.jobs) as (keyof JobOutcomes)[]) this.jobs[k] += line.jobs[k]
    this.lost += line.jobs.wrong
  }

  fault(who: string, from: number, to: number): void {
    this.faults.push({ who, from, to })
  }

  /** The store's queue depth each second; a worker idle 5 s while jobs waited 5 samples running is a stall. */
  depth(now: number, pending: number | undefined): void {
    this.depths.push(pending ?? -1)
    if (pending !== undefined) this.maxDepth = Math.max(this.maxDepth, pending)
    const waited = this.depths.length >= 5 && this.depths.slice(-5).every((d) => d > 0)
    if (!waited) return
    for (const [index, w] of this.workers) {
      const excused = this.faults.some(
        (f) => (f.who === 'store' || f.who === `worker ${index}`) && now >= f.from && now - 5_000 <= f.to,
      )
      if (excused || w.stalled || now - w.since < 5_000 || now - w.lastStart < 5_000) continue
      w.stalled = true
      this.stalls++
    }
  }

  /** Users whose first call was sent by `at` (ticks come a second late at most: ask after that). */
  private usersBy(at: number): number {
    let n = 0
    for (const first of this.users.values()) if (first <= at) n++
    return n
  }

  /**
   * Closes the interval: its line as text, its figures kept. `store` was read by `readAt`; the
   * users seen are those whose first call went by then (what the store's rows can count).
   */
  line(store: { memoryMB?: number; rows?: Record<string, number> }, readAt = Date.now()): string {
    const now = Date.now()
    const seconds = Math.max(1, (now - this.intervalStart) / 1000)
    const interval: Interval = {
      minute: Math.round((now - this.startedAt) / 60_000),
      atMs: now - this.startedAt,
      callsPerSec: this.calls / seconds,
      p50: pct(Object.values(this.latencies).flat(), 0.5),
      p99: pct(Object.values(this.latencies).flat(), 0.99),
      p99By: Object.fromEntries(Object.entries(this.latencies).map(([k, ms]) => [k, pct(ms, 0.99)])),
      errors: this.errors,
      processes: { ...this.processes },
      heapMeanMB: Object.fromEntries(Object.entries(this.heaps).map(([k, h]) => [k, h.sum / h.n])),
      usersSeen: this.usersBy(readAt),
      ...(store.memoryMB !== undefined ? { storeMB: store.memoryMB } : {}),
      ...(store.rows ? { rows: store.rows } : {}),
      maxDepth: this.maxDepth,
      lost: this.lost,
      overLimit: this.overLimit,
      overBudget: this.overBudget,
      stalls: this.stalls,
    }
    this.intervals.push(interval)
    this.intervalStart = now
    this.calls = 0
    this.latencies = Object.create(null)
    this.errors = Object.create(null)
    this.maxDepth = 0
    this.heaps = Object.create(null)
    const procs = Object.entries(interval.processes)
      .map(([n, p]) => `${n} ${p.heapMB.toFixed(0)}/${p.rssMB.toFixed(0)}`)
      .join(' ')
    const rows = interval.rows
      ? Object.entries(interval.rows)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')
      : 'store down'
    const errs =
      Object.entries(interval.errors)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    return [
      `t+${((now - this.startedAt) / 1000).toFixed(0).padStart(4)}s`,
      `${interval.callsPerSec.toFixed(1)} calls/s`,
      `p50 ${interval.p50} ms p99 ${interval.p99} ms (${Object.entries(interval.p99By)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
      `heap/rss MB: ${procs}`,
      `store ${interval.storeMB?.toFixed(1) ?? '?'} MB (${rows}; users seen ${interval.usersSeen})`,
      `depth ≤ ${interval.maxDepth}`,
      `refusals: ${errs}`,
      `lost ${interval.lost} over-limit ${interval.overLimit} over-budget ${interval.overBudget} stalls ${interval.stalls}`,
    ].join(' | ')
  }

  summary() {
    return {
      intervals: this.intervals,
      lost: this.lost,
      overLimit: this.overLimit,
      overBudget: this.overBudget,
      stalls: this.stalls,
      jobs: this.jobs,
      calls: this.totalCalls,
      errors: this.allErrors,
    }
  }
}
