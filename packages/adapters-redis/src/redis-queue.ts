import {
  type ClaimedJob,
  duplicateJob,
  type JobCounts,
  type JobRecord,
  type QueuePort,
  queueFull,
  settleBatcher,
} from '@sluice/core/adapter'
import type { RedisCommands } from './client'
import {
  addScript,
  cancelScript,
  claimScript,
  countsScript,
  extendScript,
  getJobScript,
  positionScript,
  settleScript,
} from './queue-scripts'
import { runScript, type Script } from './scripts'

export interface RedisQueueOptions {
  retentionMs: number
  retentionCount: number
}

const EMPTY: JobCounts = { pending: 0, active: 0, completed: 0, failed: 0, expired: 0, cancelled: 0 }
const FINAL = new Set(['completed', 'failed', 'expired', 'cancelled'])
const parse = <T>(reply: unknown): T | undefined =>
  typeof reply === 'string' && reply.startsWith('=') ? (JSON.parse(reply.slice(1)) as T) : undefined

/**
 * The queue port on Redis: per type a ready line (sorted set by claim score), a delayed set (by
 * runAt), leases (by leaseUntil) and an expiry watch; a job is one JSON string. Every step is one
 * script. Wake-ups and finishes are published; on ioredis they are pushed to workers and waiters
 * in every process, on REST (Upstash) those poll.
 */
export function redisQueue(
  client: RedisCommands,
  keyFor: (key: string) => string,
  channelFor: (channel: string) => string,
  options: RedisQueueOptions,
): QueuePort {
  const base = keyFor('{queue}') // prefix:{queue}: (every queue key starts so: one slot)
  const chan = channelFor('queue:')
  const keys = [`${base}users`]
  const run = (s: Script, ...args: (string | number)[]) =>
    runScript(client, s, keys, [base, chan, options.retentionMs, options.retentionCount, ...args])
  const finished = new Map<string, Set<(job: JobRecord) => void>>()
  let unsubscribeDone: (() => void) | undefined

  const get = async (id: string) => parse<JobRecord>(await run(getJobScript, id))
  const deliver = (id: string) => {
    if (!finished.has(id)) return
    get(id).then(
      (job) => {
        if (!job || !FINAL.has(job.status)) return
        for (const l of [...(finished.get(id) ?? [])]) l(job)
      },
      () => {}, // the waiter polls as a backstop
    )
  }
  const settled = (id: string, ok: boolean) => {
    if (ok && !client.subscribe) deliver(id) // no pub/sub: at least this process hears it at once
    return ok
  }
  // Settles asked for while others are in flight go together, one script call for all.
  const settle = settleBatcher(async (batch) => {
    const args = batch.flatMap((b) => [b.id, b.token, b.outcome, b.text, b.retryAt])
    const oks = ((await run(settleScript, ...args)) as unknown[]).map((r) => Number(r) === 1)
    return batch.map((b, i) => settled(b.id, oks[i] === true))
  })

  return {
    async add(job, limits) {
      const reply = (await run(
        addScript,
        JSON.stringify(job),
        limits.maxPendingPerUser ?? -1,
        limits.turnMs,
      )) as unknown[]
      const outcome = Number(reply[0])
      if (outcome === -1) throw duplicateJob(job.id)
      if (outcome === 0) throw queueFull(Number(reply[1]), limits.maxPendingPerUser ?? 0)
    },
    get,
    async claim({ type, max, leaseMs }) {
      const tokens = Array.from({ length: max }, () => crypto.randomUUID())
      const reply = (await run(claimScript, type, max, Math.ceil(leaseMs), ...tokens)) as unknown[]
      return reply.map((r) => parse<ClaimedJob>(r)!)
    },
    async extendLease(id, token, leaseMs) {
      return Number(await run(extendScript, id, token, Math.ceil(leaseMs))) === 1
    },
    complete: (id, token, result) => settle({ id, token, outcome: 'completed', text: result, retryAt: 0 }),
    fail: (id, token, error, retryAt) =>
      settle({
        id,
        token,
        outcome: retryAt === undefined ? 'failed' : 'retry',
        text: error,
        retryAt: retryAt ?? 0,
      }),
    async cancel(id) {
      return settled(id, Number(await run(cancelScript, id)) === 1)
    },
    async position(id) {
      return Number(await run(positionScript, id))
    },
    async counts(type) {
      const flat = (await run(countsScript, type ?? '')) as unknown[]
      const counts: JobCounts = { ...EMPTY }
      for (let i = 0; i < flat.length; i += 2) {
        const status = String(flat[i]) as keyof JobCounts
        if (status in EMPTY) counts[status] = Number(flat[i + 1])
      }
      return counts
    },
    onAvailable(type, listener) {
      // Once subscribed, one wake-up: a job added before then sent its push to nobody.
      return client.subscribe ? client.subscribe(`${chan}wake:${type}`, () => listener(), listener) : () => {}
    },
    onFinished(id, listener) {
      let set = finished.get(id)
      if (!set) {
        set = new Set()
        finished.set(id, set)
      }
      set.add(listener)
      // Once subscribed, the waiters check again: a job that finished before then was pushed to nobody.
      if (!unsubscribeDone && client.subscribe)
        unsubscribeDone = client.subscribe(`${chan}done`, deliver, () => {
          for (const waited of [...finished.keys()]) deliver(waited)
        })
      return () => {
        set.delete(listener)
        if (set.size > 0) return
        finished.delete(id)
        if (finished.size === 0 && unsubscribeDone) {
          unsubscribeDone()
          unsubscribeDone = undefined
        }
      }
    },
  }
}
