import {
  batchedSettles,
  type ClaimedJob,
  duplicateJob,
  finishListeners,
  type JobCounts,
  type JobRecord,
  type QueuePort,
  queueFull,
  takenJob,
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
/** The fields of a job the scripts keep as one JSON text and never read. */
const kept = (job: JobRecord) =>
  JSON.stringify({
    id: job.id,
    type: job.type,
    userId: job.userId,
    data: job.data,
    priority: job.priority,
    maxRetries: job.maxRetries,
    backoffMs: job.backoffMs,
    createdAt: job.createdAt,
    ...(job.group !== undefined ? { group: job.group } : {}),
  })
const NUMBERS = [
  'attempts',
  'createdAt',
  'runAt',
  'expiresAt',
  'score',
  'startedAt',
  'finishedAt',
  'leaseUntil',
] as const
const TEXTS = ['type', 'userId', 'status', 'leaseToken', 'result', 'error'] as const

const CLAIMED = ['attempts', 'runAt', 'expiresAt', 'score', 'startedAt', 'leaseUntil'] as const

/** A claimed job from the claim script's line: '=' JSON, six numbers, the token, the last error. */
function parseClaimed(line: string): ClaimedJob {
  let at = line.indexOf('\n')
  const job = JSON.parse(line.slice(1, at)) as Record<string, unknown>
  for (const name of CLAIMED) {
    const next = line.indexOf('\n', at + 1)
    job[name] = Number(line.slice(at + 1, next))
    at = next
  }
  const end = line.indexOf('\n', at + 1)
  job.leaseToken = line.slice(at + 1, end)
  const error = line.slice(end + 1)
  if (error) job.error = error
  job.status = 'active'
  return job as unknown as ClaimedJob
}

/** A job from a script's reply: its hash as field, '=' value, … (empty when there is none). */
function parseJob(reply: unknown): (JobRecord & { leaseToken?: string }) | undefined {
  if (!Array.isArray(reply) || reply.length === 0) return undefined
  const fields = new Map<string, string>()
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), String(reply[i + 1]).slice(1))
  const job = JSON.parse(fields.get('j') ?? '{}') as Record<string, unknown>
  for (const name of NUMBERS) if (fields.get(name)) job[name] = Number(fields.get(name))
  for (const name of TEXTS) if (fields.has(name)) job[name] = fields.get(name)
  if (!job.leaseToken) delete job.leaseToken // '': no lease
  return job as unknown as JobRecord & { leaseToken?: string }
}

/**
 * The queue port on Redis: per type a ready line (sorted set by claim score), a delayed set (by
 * runAt), leases (by leaseUntil) and an expiry watch; a job is a hash whose scripted fields
 * change in place. Every step is one
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
  const get = async (id: string): Promise<JobRecord | undefined> => {
    const job = parseJob(await run(getJobScript, id))
    if (job) delete job.leaseToken // the token is its worker's alone
    return job
  }
  const waiters = finishListeners({
    get,
    // Once subscribed, the waiters check again: a job that finished before then was pushed to nobody.
    // One push per script call: the ids it finished, one per line.
    listen: (deliver, recheck) =>
      client.subscribe?.(`${chan}done`, (ids) => ids.split('\n').forEach(deliver), recheck),
  })
  const settled = (id: string, ok: boolean) => {
    if (ok && !client.subscribe) waiters.deliver(id) // no pub/sub: at least this process hears it at once
    return ok
  }
  // Settles asked for while others are in flight go together, one script call for all.
  const settles = batchedSettles(async (batch) => {
    const args = batch.flatMap((b) => [b.id, b.token, b.outcome, b.text, b.retryInMs])
    const oks = ((await run(settleScript, ...args)) as unknown[]).map((r) => Number(r) === 1)
    return batch.map((b, i) => settled(b.id, oks[i] === true))
  })

  return {
    wakesWorkers: client.subscribe !== undefined,
    async add(job, limits) {
      const token = limits.take ? crypto.randomUUID() : ''
      const reply = (await run(
        addScript,
        limits.maxPendingPerUser ?? -1,
        limits.turnMs,
        job.id,
        job.type,
        job.userId,
        kept(job),
        job.runAt,
        job.expiresAt,
        job.score,
        job.attempts,
        job.group ?? '',
        job.createdAt,
        limits.take ? Math.ceil(limits.take.leaseMs) : '',
        token,
      )) as unknown[]
      const outcome = Number(reply[0])
      if (outcome === -1) throw duplicateJob(job.id)
      if (outcome === 0) throw queueFull(Number(reply[1]), limits.maxPendingPerUser ?? 0)
      if (outcome === 2 && limits.take) return takenJob(job, token, limits.take.leaseMs)
    },
    get,
    async claim({ type, max, leaseMs, byGroup }) {
      const tokens = Array.from({ length: max }, () => crypto.randomUUID())
      const reply = (await run(
        claimScript,
        type,
        max,
        Math.ceil(leaseMs),
        byGroup ? '1' : '0',
        ...tokens,
      )) as string[]
      return reply.map(parseClaimed)
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
