import { SluiceError } from '../errors/sluice-error'
import { withTurn } from '../store/claim-order'
import { duplicateJob, queueFull } from '../store/queue-errors'
import type { ClaimedJob, JobCounts, JobRecord, JobStatus, QueuePort } from '../store/queue-port'
import { entryOf } from '../util/entry-of'
import { randomId } from '../util/hash'
import { FinishedJobs } from './finished-jobs'
import { PendingRanks } from './pending-ranks'
import { type Entry, QueueLines } from './queue-lines'

type Listener<T> = (value: T) => void
type Open = JobRecord & { v: number; leaseToken?: string }

function on<T>(map: Map<string, Set<Listener<T>>>, key: string, listener: Listener<T>): () => void {
  let set = map.get(key)
  if (!set) {
    set = new Set()
    map.set(key, set)
  }
  set.add(listener)
  return () => {
    set.delete(listener)
    if (set.size === 0) map.delete(key)
  }
}

export interface MemoryQueueOptions {
  /** Most unfinished jobs held; add() beyond it fails with store_unavailable, nothing is dropped. */
  maxJobs: number
  /** How long finished jobs (and their results) stay readable. */
  retentionMs: number
  /** How many finished jobs stay readable at most (the oldest go first). */
  retentionCount: number
}

const EMPTY: JobCounts = { pending: 0, active: 0, completed: 0, failed: 0, expired: 0, cancelled: 0 }
// Each claim also does this much housekeeping at most: promoting, reclaiming, expiring.
const SWEEP = 1000

/** The reference queue: heaps per type, so a claim costs O(log n) whatever the backlog. */
export function memoryQueue(options: MemoryQueueOptions, now: () => number): QueuePort {
  const open = new Map<string, Open>() // pending or active
  const done = new FinishedJobs(options.retentionMs, options.retentionCount, now)
  const lines = new Map<string, QueueLines>()
  const openCounts = new Map<string, { pending: number; active: number }>()
  const ranks = new Map<string, PendingRanks>() // per type: places in line, for position()
  const perUser = new Map<string, number>() // unfinished jobs per user; absent means none
  const available = new Map<string, Set<Listener<void>>>()
  const finished = new Map<string, Set<Listener<JobRecord>>>()

  const linesOf = (type: string) => entryOf(lines, type, () => new QueueLines())
  const countsOf = (type: string) => entryOf(openCounts, type, () => ({ pending: 0, active: 0 }))
  const ranksOf = (type: string) => entryOf(ranks, type, () => new PendingRanks())
  const entry = (job: Open, at: number): Entry => ({ id: job.id, v: job.v, at })
  const current = (e: Entry) => {
    const job = open.get(e.id)
    return job && job.v === e.v ? job : undefined
  }
  const isReady = (e: Entry) => current(e)?.status === 'pending'

  // Puts a pending job in line: ready if due, delayed if not; and on the expiry watch.
  function queue(job: Open, t: number): void {
    job.v++
    ranksOf(job.type).add(job.id, job.score, job.runAt, t)
    const l = linesOf(job.type)
    if (job.runAt <= t) l.ready(entry(job, job.score), job.group)
    else l.delayed.push(entry(job, job.runAt))
    l.expiry.push(entry(job, job.expiresAt))
  }

  function move(job: Open, from: 'pending' | 'active', to: 'pending' | 'active'): void {
    if (from === 'pending') ranksOf(job.type).remove(job.id)
    const c = countsOf(job.type)
    c[from]--
    c[to]++
    job.status = to
  }

  function finish(job: Open, status: JobStatus, patch: Partial<JobRecord>): void {
    open.delete(job.id)
    if (job.status === 'pending') ranksOf(job.type).remove(job.id)
    if (job.group !== undefined) linesOf(job.type).dropStale(job.group, isReady)
    countsOf(job.type)[job.status as 'pending' | 'active']--
    const left = (perUser.get(job.userId) ?? 1) - 1
    if (left > 0) perUser.set(job.userId, left)
    else perUser.delete(job.userId)
    const { v: _v, leaseToken: _t, leaseUntil: _l, ...rest } = job
    const record: JobRecord = { ...rest, ...patch, status, finishedAt: now() }
    done.add(record)
    for (const l of [...(finished.get(job.id) ?? [])]) l(record)
  }

  // Housekeeping a claim does first, each step bounded and by its own index.
  function sweep(l: QueueLines, t: number): void {
    QueueLines.due(l.delayed, t, SWEEP, (e) => {
      const job = current(e)
      if (job?.status === 'pending') l.ready(entry(job, job.score), job.group)
    })
    QueueLines.due(l.active, t, SWEEP, (e) => {
      const job = current(e)
      if (job?.status !== 'active') return
      move(job, 'active', 'pending') // its worker died or stalled: the lease lapsed
      delete job.leaseToken
      delete job.leaseUntil
      queue(job, t)
    })
    QueueLines.due(l.expiry, t, SWEEP, (e) => {
      const job = open.get(e.id)
      if (job?.status === 'pending' && job.expiresAt <= t)
        finish(job, 'expired', { error: 'expired before it ran' })
    })
  }

  // A pending job taken: active with a lease (a new token, on the lapse watch). Its older entries
  // are stale from now on.
  function lease(job: Open, t: number, leaseMs: number): ClaimedJob {
    move(job, 'pending', 'active')
    job.v++
    job.attempts += 1
    job.startedAt = t
    job.leaseUntil = t + leaseMs
    job.leaseToken = randomId()
    linesOf(job.type).active.push(entry(job, job.leaseUntil))
    const { v: _v, ...copy } = job
    return { ...copy, leaseToken: job.leaseToken }
  }

  function owned(id: string, token: string): Open | undefined {
    const job = open.get(id)
    return job?.status === 'active' && job.leaseToken === token ? job : undefined
  }

  const notify = (type: string) => {
    for (const l of [...(available.get(type) ?? [])]) l()
  }

  return {
    wakesWorkers: true,
    async add(job, limits) {
      const mine = perUser.get(job.userId) ?? 0
      if (open.has(job.id) || done.get(job.id)) throw duplicateJob(job.id)
      if (limits.maxPendingPerUser !== undefined && mine >= limits.maxPendingPerUser) {
        throw queueFull(mine, limits.maxPendingPerUser)
      }
      if (open.size >= options.maxJobs) {
        throw new SluiceError(
          'store_unavailable',
          `memory queue is full (${options.maxJobs} unfinished jobs)`,
          {
            retryable: true,
          },
        )
      }
      // The client's times, moved onto the store's clock.
      const t = now()
      const shift = t - job.createdAt
      const record: Open = {
        ...job,
        status: 'pending',
        createdAt: t,
        runAt: job.runAt + shift,
        expiresAt: job.expiresAt + shift,
        score: withTurn(job.score + shift, mine, limits.turnMs),
        v: 0,
      }
      open.set(job.id, record)
      perUser.set(job.userId, mine + 1)
      countsOf(job.type).pending++
      if (limits.take && record.runAt <= t && !linesOf(job.type).readyBefore(record, isReady)) {
        return lease(record, t, limits.take.leaseMs)
      }
      queue(record, t)
      queueMicrotask(() => notify(job.type))
    },
    async get(id) {
      const pending = open.get(id)
      if (pending?.status === 'pending' && pending.expiresAt <= now()) {
        finish(pending, 'expired', { error: 'expired before it ran' }) // O(1): found, not scanned for
      }
      const job = open.get(id) ?? done.get(id)
      if (!job) return undefined
      const { v: _v, leaseToken: _t, ...rest } = job as Open
      return { ...rest }
    },
    async claim({ type, max, leaseMs, byGroup }) {
      const l = linesOf(type)
      const t = now()
      sweep(l, t)
      const claimed: ClaimedJob[] = []
      // The next claimable job from `line` (stale entries and expired jobs dropped on the way).
      const next = (pop: () => Entry | undefined): Open | undefined => {
        for (let e = pop(); e; e = pop()) {
          const job = current(e)
          if (job?.status !== 'pending' || job.runAt > t) continue
          if (job.expiresAt <= t) finish(job, 'expired', { error: 'expired before it ran' })
          else return job
        }
        return undefined
      }
      const take = (job: Open) => {
        claimed.push(lease(job, t, leaseMs))
        if (job.group !== undefined) l.dropStale(job.group, isReady)
      }
      const fromLine = () => l.readyLine.pop()
      while (claimed.length < max) {
        const job = next(fromLine)
        if (!job) break
        take(job)
        if (!byGroup) continue
        const group = job.group
        if (group === undefined) break
        for (let more = next(() => l.nextOf(group)); more; ) {
          take(more)
          more = claimed.length < max ? next(() => l.nextOf(group)) : undefined
        }
        break
      }
      return claimed
    },
    async extendLease(id, token, leaseMs) {
      const job = owned(id, token)
      if (!job) return false
      job.v++
      job.leaseUntil = now() + leaseMs
      linesOf(job.type).active.push(entry(job, job.leaseUntil))
      return true
    },
    async complete(id, token, result) {
      const job = owned(id, token)
      if (!job) return false
      finish(job, 'completed', { result })
      return true
    },
    async fail(id, token, error, retryInMs) {
      const job = owned(id, token)
      if (!job) return false
      if (retryInMs === undefined) {
        finish(job, 'failed', { error })
        return true
      }
      move(job, 'active', 'pending')
      job.error = error
      const t = now()
      job.runAt = t + retryInMs
      delete job.leaseUntil
      delete job.leaseToken
      queue(job, t)
      setTimeout(() => notify(job.type), Math.max(0, retryInMs)).unref?.()
      return true
    },
    async cancel(id) {
      const job = open.get(id)
      if (job?.status !== 'pending') return false
      finish(job, 'cancelled', {})
      return true
    },
    async position(id) {
      const job = open.get(id)
      if (job?.status !== 'pending') return 0
      // Due jobs first in claim order, then the delayed ones by when they come due: O(log n).
      return ranksOf(job.type).position(id, now())
    },
    async counts(type) {
      const counts: JobCounts = { ...EMPTY }
      for (const [t, c] of openCounts) {
        if (type !== undefined && t !== type) continue
        counts.pending += c.pending
        counts.active += c.active
      }
      return { ...counts, ...done.countsOf(type) }
    },
    onAvailable(type, listener) {
      return on(available, type, listener)
    },
    onFinished(id, listener) {
      return on(finished, id, listener)
    },
  }
}
