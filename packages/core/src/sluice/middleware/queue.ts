import type { Call, Outcome, SluiceMeta } from '../../chain/types'
import { named } from '../../chain/types'
import type { Dict } from '../../config/dict-schema'
import type { ClaimGate } from '../../queue/claim-gate'
import type { QueueClient } from '../../queue/queue-client'
import type { RunnerOption } from '../sluice-schema'
import { type BudgetDeps, releaseOrCount, settleOrCount } from './budget'
import { callOfJob, type QueuedCall, queuedCall } from './queued-call'

export const CHAT_JOB = 'sluice.chat'

interface ChatJobResult {
  outcome: Outcome
  meta: Pick<
    SluiceMeta,
    | 'provider'
    | 'attempts'
    | 'retries'
    | 'fallbacks'
    | 'capacityWaitMs'
    | 'queuedMs'
    | 'costUsd'
    | 'batched'
    | 'batchSize'
  >
}

/**
 * Puts chat calls through the durable queue: enqueue with the call's priority, wait for the
 * result. A worker in this or another process runs the rest of the chain and settles the call's
 * budget. A wrapped call (`sluice.call`) carries a function that cannot travel: it goes through
 * the queue only when it names a runner the workers have (`ctx.runner`). A stream's chunks do not
 * go through the queue.
 */
export function queueMiddleware(
  queue: QueueClient,
  waitMs: number,
  groupOf: (call: Call) => string | undefined,
) {
  return named('queue', async (call, next) => {
    if (call.stream || (!call.request && call.runner === undefined)) return next()
    const group = groupOf(call)
    const job = queuedCall(call, Date.now())
    const { id } = await queue.enqueue({
      type: CHAT_JOB,
      userId: call.userId,
      data: job,
      priority: call.priority,
      maxRetries: 0,
      // A batch group travels with the job: a worker claims the group's jobs together.
      ...(group !== undefined ? { group } : {}),
    })
    call.steps.handedOff = true
    let result: ChatJobResult
    try {
      result = await queue.wait<ChatJobResult>(id, {
        anyUser: true,
        timeout: waitMs,
        ...(call.signal ? { signal: call.signal } : {}),
      })
    } catch (error) {
      // Nobody waits for it any more: a job that has not started yet must not run (and cost)
      // later. If it already started, its worker settles what it spends.
      const cancelled = await queue.cancel(id, { anyUser: true }).catch(() => false)
      if (cancelled) call.steps.handedOff = false
      throw error
    }
    Object.assign(call.meta, result.meta)
    return result.outcome
  })
}

/**
 * The worker side for batched endpoints: the jobs of one group, claimed together, each through
 * the back of the chain at once (where the batch step answers them with one call); a job that
 * fails fails alone.
 */
export function chatBatchHandler(single: ReturnType<typeof chatJobHandler>) {
  return (jobs: { data: unknown; signal: AbortSignal }[]) =>
    Promise.all(
      jobs.map((job) =>
        single(job).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
      ),
    )
}

/** The worker side: rebuilds the call, runs the back of the chain, settles the budget. */
export function chatJobHandler(
  back: (call: Call) => Promise<Outcome>,
  budget: BudgetDeps,
  runners: Dict<RunnerOption> = {},
  gate?: ClaimGate,
) {
  return async ({ data, signal }: { data: unknown; signal: AbortSignal }): Promise<ChatJobResult> => {
    const job = data as QueuedCall
    const { call, reservation } = callOfJob(job, runners, signal, Date.now())
    // The worker claims nothing more while this job waits for its provider's capacity.
    if (gate) call.steps.onCapacityWait = gate.waiting
    let outcome: Outcome
    try {
      outcome = await back(call)
    } catch (error) {
      // Aborted (its lease is, or may be, another worker's, or this worker stopped): the job runs
      // again and that run settles the reservation, so it is not given back here.
      if (reservation && !signal.aborted) await releaseOrCount(budget, reservation)
      throw error
    }
    if (reservation) await settleOrCount(budget, call, reservation, outcome)
    const { provider, attempts, retries, fallbacks, capacityWaitMs, queuedMs, costUsd, batched, batchSize } =
      call.meta
    return {
      outcome,
      meta: { provider, attempts, retries, fallbacks, capacityWaitMs, queuedMs, costUsd, batched, batchSize },
    }
  }
}
