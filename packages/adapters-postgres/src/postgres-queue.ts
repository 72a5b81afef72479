import {
  batchedSettles,
  type ClaimedJob,
  duplicateJob,
  finishListeners,
  isFinalStatus,
  type JobCounts,
  type JobRecord,
  type QueuePort,
  queueFull,
  takenJob,
} from '@sluice/core/adapter'
import type { Query } from './query'

export interface PostgresQueueOptions {
  retentionMs: number
  /** Claims and settles wait for their commit to reach the disk (adds always do). */
  durableCommits: boolean
  /** The store's LISTEN/NOTIFY channel and its subscribe (messages carry the core's channel). */
  channel: string
  subscribe(channel: string, listener: (message: string) => void, onReady?: () => void): () => void
}

const EMPTY: JobCounts = { pending: 0, active: 0, completed: 0, failed: 0, expired: 0, cancelled: 0 }
const MS = `* interval '1 millisecond'`
/** How often one process sweeps a type (expiry, retention) before a claim; get() expires on its own. */
const SWEEP_EVERY_MS = 1_000
/** Counter-tree rows one sweep folds at most (see migration 14). */
const FOLD_PER_TURN = 5_000

type Row = Record<string, string | number | null>

/** The columns of a queue row as a JobRecord's fields (times in ms, JSON as its text). */
const columns = (s: string) => `id, agent_type AS type, user_id AS "userId", request_data::text AS data,
  priority, status, attempts, max_retries AS "maxRetries", backoff_ms AS "backoffMs",
  ${s}.ms(created_at) AS "createdAt", ${s}.ms(run_at) AS "runAt", ${s}.ms(expires_at) AS "expiresAt",
  score, ${s}.ms(started_at) AS "startedAt", ${s}.ms(completed_at) AS "finishedAt",
  ${s}.ms(lease_until) AS "leaseUntil", lease_token AS "leaseToken", result::text AS result,
  error_message AS error, group_key AS "group"`

/** What a claim returns of each job: the fields a worker reads (ClaimedJob). */
const CLAIMED = `id, agent_type AS type, user_id AS "userId", request_data::text AS data, status, attempts,
  max_retries AS "maxRetries", backoff_ms AS "backoffMs", score, lease_token AS "leaseToken", error_message AS error`

/** A row as a job: its columns without the NULL ones. */
function toJob<T = JobRecord & { leaseToken?: string }>(row: Row): T {
  const job: Record<string, unknown> = {}
  for (const k in row) {
    const v = row[k]
    if (v !== null) job[k] = v
  }
  return job as T
}

/**
 * The queue port on `agent_queue`: one statement per step (the plpgsql functions of migration 4),
 * claims with FOR UPDATE SKIP LOCKED in the shared claim order. Wake-ups and finishes go by
 * LISTEN/NOTIFY to workers and waiters in every process; they poll as a backstop.
 */
export function postgresQueue(query: Query, s: string, o: PostgresQueueOptions): QueuePort {
  const t = `${s}.agent_queue`
  const kept = `NOT (status IN ('completed', 'failed', 'expired', 'cancelled') AND completed_at < now() - $2::float8 ${MS})`
  const swept = new Map<string, number>() // type → when this process last swept it
  // Wake-ups go after an add commits (a worker that looked before hears it, one that looks after
  // sees the job): one NOTIFY per type at a time from this process, and one more for the adds
  // that committed while it travelled.
  const waking = new Map<string, 'sent' | 'again'>()
  function wake(type: string): void {
    if (waking.has(type)) {
      waking.set(type, 'again')
      return
    }
    waking.set(type, 'sent')
    query(`SELECT pg_notify($1, $2)`, [o.channel, `queue:wake:${type}\n1`])
      .catch(() => {}) // workers poll as a backstop
      .finally(() => {
        const again = waking.get(type) === 'again'
        waking.delete(type)
        if (again) wake(type)
      })
  }
  const settles = batchedSettles(async (batch) => {
    const [row] = await query<{ oks: boolean[] }>(
      // A retry's backoff becomes a time on the server's clock.
      `SELECT ${s}.queue_settle_many($1, $2, $3, $4,
         ARRAY(SELECT ${s}.ms(now()) + d FROM unnest($5::float8[]) WITH ORDINALITY u(d, i) ORDER BY i), $6, $7) AS oks`,
      [
        batch.map((b) => b.id),
        batch.map((b) => b.token),
        batch.map((b) => b.outcome),
        batch.map((b) => b.text),
        batch.map((b) => b.retryInMs),
        o.channel,
        o.durableCommits,
      ],
    )
    return row?.oks ?? []
  })

  async function get(id: string): Promise<JobRecord | undefined> {
    const read = () =>
      query<Row>(`SELECT ${columns(s)}, expires_at <= now() AS due FROM ${t} WHERE id = $1 AND ${kept}`, [
        id,
        o.retentionMs,
      ])
    let [row] = await read()
    if (row?.status === 'pending' && row.due) {
      await query(`SELECT ${s}.queue_end_pending($1, 'expired', $2)`, [id, o.channel]) // found, not scanned for
      ;[row] = await read()
    }
    if (!row) return undefined
    const {
      due: _due,
      leaseToken: _token,
      ...job
    } = toJob<JobRecord & { due?: boolean; leaseToken?: string }>(row)
    return job
  }
  const waiters = finishListeners({
    get,
    // Once listening, the waiters check again: a job that finished before then notified nobody.
    listen: (deliver, recheck) => o.subscribe('queue:done', deliver, recheck),
  })

  return {
    wakesWorkers: true,
    async add(job, limits) {
      let rows: { mine: number | null; token: string | null }[]
      try {
        rows = await query<{ mine: number | null; token: string | null }>(
          `SELECT mine, token FROM ${s}.queue_add_take($1, $2, $3, $4::json, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
          [
            job.id,
            job.userId,
            job.type,
            job.data,
            job.priority,
            job.maxRetries,
            job.backoffMs,
            job.createdAt,
            job.runAt,
            job.score,
            job.expiresAt,
            limits.maxPendingPerUser ?? null,
            limits.turnMs,
            job.group ?? null,
            limits.take ? limits.take.leaseMs : null,
          ],
        )
      } catch (error) {
        const code = (error as { cause?: { code?: string } }).cause?.code
        if (code === '23505') throw duplicateJob(job.id) // unique_violation on the id
        throw error
      }
      const [row] = rows
      if (row?.mine === null || row?.mine === undefined) {
        const [user] = await query<{ n: number }>(
          `SELECT unfinished AS n FROM ${s}.queue_users WHERE user_id = $1`,
          [job.userId],
        )
        throw queueFull(user?.n ?? limits.maxPendingPerUser ?? 0, limits.maxPendingPerUser ?? 0)
      }
      if (row.token && limits.take) return takenJob(job, row.token, limits.take.leaseMs)
      wake(job.type)
    },
    get,
    async claim({ type, max, leaseMs, byGroup }) {
      const now = Date.now()
      if (now - (swept.get(type) ?? 0) >= SWEEP_EVERY_MS) {
        swept.set(type, now)
        await query(`SELECT ${s}.queue_sweep($1, $2, $3)`, [type, o.retentionMs, o.channel])
        // Apart from the sweep, so the counter rows it moves are held for one short statement.
        await query(`SELECT ${s}.queue_ranks_fold($1)`, [FOLD_PER_TURN])
      }
      const rows = await query<Row>(
        `SELECT ${CLAIMED} FROM ${s}.${byGroup ? 'queue_claim_group' : 'queue_claim'}($1, $2, $3, $4, $5)`,
        [type, max, leaseMs, o.channel, o.durableCommits],
      )
      const jobs = rows.map((r) => toJob<ClaimedJob>(r))
      return jobs.sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    },
    async extendLease(id, token, leaseMs) {
      const rows = await query(
        `UPDATE ${t} SET lease_until = now() + $3::float8 ${MS} WHERE id = $1 AND status = 'active' AND lease_token = $2 RETURNING 1`,
        [id, token, leaseMs],
      )
      return rows.length === 1
    },
    ...settles,
    async cancel(id) {
      const [row] = await query<{ ok: boolean }>(`SELECT ${s}.queue_end_pending($1, 'cancelled', $2) AS ok`, [
        id,
        o.channel,
      ])
      return row?.ok === true
    },
    async position(id) {
      // A counter tree of the waiting jobs (migration 14): O(log n) whatever the place.
      const [row] = await query<{ n: number }>(`SELECT ${s}.queue_position($1) AS n`, [id])
      return row?.n ?? 0
    },
    async counts(type) {
      // A few counter rows per type (migration 12), moved by each transition: no scan of the jobs.
      const rows = await query<{ status: keyof JobCounts; n: number }>(
        `SELECT status, sum(n)::int AS n FROM ${s}.queue_counts WHERE ($1::text IS NULL OR agent_type = $1) GROUP BY status`,
        [type ?? null],
      )
      const counts: JobCounts = { ...EMPTY }
      for (const r of rows) if (r.status in EMPTY) counts[r.status] = r.n
      return counts
    },
    onAvailable(type, listener) {
      // Once listening, one wake-up: a job added before then notified nobody.
      return o.subscribe(`queue:wake:${type}`, () => listener(), listener)
    },
    onFinished(id, listener) {
      const stop = waiters.add(id, listener)
      // Finishing a watched job sends a NOTIFY; one that finished before this landed is delivered now.
      query<{ status: string | null }>(`SELECT ${s}.queue_watch_job($1) AS status`, [id]).then(
        ([row]) => row?.status && isFinalStatus(row.status) && waiters.deliver(id),
        () => {}, // the waiter polls as a backstop
      )
      return stop
    },
  }
}
