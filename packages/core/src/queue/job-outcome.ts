import type { ClaimedJob, QueuePort } from '../store/queue-port'
import { encodeJobError } from './job-error'
import type { Running } from './lease-hold'
import type { BatchHandler, JobHandler } from './worker'

/** What a handler made of one job: a value, or the error that failed it. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

/** Runs the handler on a unit's live jobs (one, or a batch): one outcome per job, in order. */
export async function outcomesOf(
  handler: JobHandler<unknown, unknown> | BatchHandler<unknown, unknown>,
  batch: boolean,
  live: { job: ClaimedJob; state: Running }[],
): Promise<Outcome[]> {
  try {
    const contexts = live.map(({ job, state }) => ({
      id: job.id,
      type: job.type,
      data: JSON.parse(job.data) as unknown,
      userId: job.userId,
      attempt: job.attempts,
      // Made when the handler first reads it: most never do, and a signal per job costs.
      get signal() {
        return state.abort.signal
      },
    }))
    if (!batch) return [{ ok: true, value: await (handler as JobHandler<unknown, unknown>)(contexts[0]!) }]
    const results = await (handler as BatchHandler<unknown, unknown>)(contexts)
    if (!Array.isArray(results) || results.length !== live.length) {
      const got = Array.isArray(results) ? `${results.length} results` : 'no array'
      throw new Error(`batch handler returned ${got} for ${live.length} jobs`)
    }
    return results.map((value) =>
      value instanceof Error ? { ok: false, error: value } : { ok: true, value },
    )
  } catch (error) {
    return live.map(() => ({ ok: false, error }))
  }
}

/**
 * Records a job's outcome under its lease: completed, failed for good, or back in line with its
 * backoff. Resolves to that backoff (ms) when the job went back in line; never throws — an
 * outcome the store did not record lets the lease lapse, and the job runs again.
 */
export async function settleJob(
  port: Pick<QueuePort, 'complete' | 'fail'>,
  job: ClaimedJob,
  state: Running,
  outcome: Outcome,
): Promise<number | undefined> {
  try {
    // Abandoned, or its lease is (or may be) another worker's: the job runs again there.
    if (state.abandoned) return undefined
    if (outcome.ok) {
      await port.complete(job.id, job.leaseToken, JSON.stringify(outcome.value ?? null))
      return undefined
    }
    if (state.abort.aborted) return undefined
    const message = encodeJobError(outcome.error)
    const retry = job.attempts <= job.maxRetries
    const delay = job.backoffMs * 2 ** (job.attempts - 1)
    const requeued = await port.fail(job.id, job.leaseToken, message, retry ? delay : undefined)
    return retry && requeued ? delay : undefined
  } catch {
    return undefined
  }
}
