import {
  batchedSettles,
  type ClaimedJob,
  duplicateJob,
  finishListeners,
  type JobCounts,
  type JobRecord,
  type QueuePort,
  queueFull,
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
  const get = async (id: string) => parse<JobRecord>(await run(getJobScript, id))
  const waiters = finishListeners({
    get,
    // Once subscribed, the waiters check again: a job that finished before then was pushed to nobody.
    listen: (deliver, recheck) => client.subscribe?.(`${chan}done`, deliver, recheck),
  })
  const settled = (id: string, ok: boolean) => {
    if (ok && !client.subscribe) waiters.deliver(id) // no pub/sub: at least this process hears it at once
    return ok
  }
  // Settles asked for while others are in flight go together, one script call for all.
  const settles = batchedSettles(async (batch) => {
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
    ...settles,
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
    onFinished: (id, listener) => waiters.add(id, listener),
  }
}
