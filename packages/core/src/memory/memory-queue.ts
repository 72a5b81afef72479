import { SluiceError } from '../errors/sluice-error'
import { claimOrder, isClaimable } from '../store/claim-order'
import type { JobCounts, JobRecord, QueuePort } from '../store/queue-port'
import { BoundedMap } from '../util/lru'

type Listener<T> = (value: T) => void

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
}

export function memoryQueue(options: MemoryQueueOptions, now: () => number): QueuePort {
  const open = new Map<string, JobRecord>() // pending or active
  const done = new BoundedMap<string, JobRecord>(options.maxJobs, now)
  const available = new Map<string, Set<Listener<void>>>()
  const finished = new Map<string, Set<Listener<JobRecord>>>()
  // Unfinished jobs per user, for the per-user cap; a user with none has no entry.
  const perUser = new Map<string, number>()

  function finish(job: JobRecord, status: JobRecord['status'], patch: Partial<JobRecord>): void {
    open.delete(job.id)
    const left = (perUser.get(job.userId) ?? 1) - 1
    if (left > 0) perUser.set(job.userId, left)
    else perUser.delete(job.userId)
    const record: JobRecord = { ...job, ...patch, status, finishedAt: now() }
    delete record.leaseUntil
    done.set(job.id, record, options.retentionMs)
    for (const l of [...(finished.get(job.id) ?? [])]) l(record)
  }

  function expireDue(): void {
    const t = now()
    for (const job of [...open.values()]) {
      if (job.status === 'pending' && job.expiresAt <= t)
        finish(job, 'expired', { error: 'expired before it ran' })
    }
  }

  function notify(type: string): void {
    for (const l of [...(available.get(type) ?? [])]) l()
  }

  return {
    async add(job, limits) {
      const mine = perUser.get(job.userId) ?? 0
      if (limits?.maxPendingPerUser !== undefined && mine >= limits.maxPendingPerUser) {
        throw new SluiceError(
          'rate_limited',
          `queue: this user already has ${mine} unfinished jobs (the most is ${limits.maxPendingPerUser})`,
          { details: { reason: 'queue_full', limit: limits.maxPendingPerUser, remaining: 0 } },
        )
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
      open.set(job.id, { ...job })
      perUser.set(job.userId, mine + 1)
      queueMicrotask(() => notify(job.type))
    },
    async get(id) {
      expireDue()
      const job = open.get(id) ?? done.get(id)
      return job && { ...job }
    },
    async claim({ type, max, leaseMs, agingMs }) {
      expireDue()
      const t = now()
      const ready = [...open.values()].filter((j) => j.type === type && isClaimable(j, t))
      return claimOrder(ready, t, agingMs)
        .slice(0, max)
        .map((job) => {
          job.status = 'active'
          job.attempts += 1
          job.startedAt = t
          job.leaseUntil = t + leaseMs
          return { ...job }
        })
    },
    async extendLease(id, leaseMs) {
      const job = open.get(id)
      if (job?.status !== 'active') return false
      job.leaseUntil = now() + leaseMs
      return true
    },
    async complete(id, result) {
      const job = open.get(id)
      if (job?.status !== 'active') return false
      finish(job, 'completed', { result })
      return true
    },
    async fail(id, error, retryAt) {
      const job = open.get(id)
      if (job?.status !== 'active') return false
      if (retryAt === undefined) {
        finish(job, 'failed', { error })
        return true
      }
      job.status = 'pending'
      job.error = error
      job.runAt = retryAt
      delete job.leaseUntil
      setTimeout(() => notify(job.type), Math.max(0, retryAt - now())).unref?.()
      return true
    },
    async cancel(id) {
      const job = open.get(id)
      if (job?.status !== 'pending') return false
      finish(job, 'cancelled', {})
      return true
    },
    async position(id, agingMs) {
      expireDue()
      const job = open.get(id)
      if (job?.status !== 'pending') return 0
      const t = now()
      const queued = [...open.values()].filter((j) => j.type === job.type && j.status === 'pending')
      return claimOrder(queued, t, agingMs).findIndex((j) => j.id === id) + 1
    },
    async counts(type) {
      expireDue()
      const counts: JobCounts = { pending: 0, active: 0, completed: 0, failed: 0, expired: 0, cancelled: 0 }
      for (const job of open.values()) if (!type || job.type === type) counts[job.status]++
      for (const [, job] of done.entries()) if (!type || job.type === type) counts[job.status]++
      return counts
    },
    onAvailable(type, listener) {
      return on(available, type, listener)
    },
    onFinished(id, listener) {
      return on(finished, id, listener)
    },
  }
}
