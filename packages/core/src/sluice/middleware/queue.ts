import type { Call, Outcome, SluiceMeta } from '../../chain/types'
import { named } from '../../chain/types'
import type { Dict } from '../../config/dict-schema'
import type { Reservation } from '../../cost/cost-tracker'
import { SluiceError } from '../../errors/sluice-error'
import type { ChatRequest } from '../../providers/types'
import type { QueueClient } from '../../queue/queue-client'
import type { RunnerOption } from '../sluice-schema'
import { type BudgetDeps, releaseOrCount, settleOrCount } from './budget'

export const CHAT_JOB = 'sluice.chat'

interface ChatJob {
  /** A chat's request; or, for a wrapped call, its input and the runner that runs it. */
  request: ChatRequest | null
  input?: unknown
  runner?: string
  pricing?: Call['pricing']
  endpoint: string
  userId: string
  tier: string | null
  timeoutMs: number | null
  enqueuedAt: number
  /** The waiter's budget reservation: the worker settles it, whoever still waits. */
  reservation: Reservation | null
}

interface ChatJobResult {
  outcome: Outcome
  meta: Pick<
    SluiceMeta,
    'provider' | 'attempts' | 'retries' | 'fallbacks' | 'queuedMs' | 'costUsd' | 'batched' | 'batchSize'
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
    const job: ChatJob = {
      request: call.request ?? null,
      ...(call.request ? {} : { input: call.input ?? null, runner: call.runner, pricing: call.pricing }),
      endpoint: call.endpoint,
      userId: call.userId,
      tier: call.tier ?? null,
      timeoutMs: call.timeoutMs ?? null,
      enqueuedAt: Date.now(),
      reservation: (call.state.reservation as Reservation | undefined) ?? null,
    }
    const { id } = await queue.enqueue({
      type: CHAT_JOB,
      userId: call.userId,
      data: job,
      priority: call.priority,
      maxRetries: 0,
      // A batch group travels with the job: a worker claims the group's jobs together.
      ...(group !== undefined ? { group } : {}),
    })
    call.state.handedOff = true
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
      if (cancelled) call.state.handedOff = false
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

/** A queued wrapped call's input and the function(s) this worker runs it with. */
function wrapped(job: ChatJob, runners: Dict<RunnerOption>): Partial<Call> {
  const runner =
    job.runner !== undefined && Object.hasOwn(runners, job.runner) ? runners[job.runner] : undefined
  if (!runner) {
    throw new SluiceError('invalid_config', `runners.${job.runner}: this worker has no such runner`, {
      path: `runners.${job.runner}`,
    })
  }
  const targets = typeof runner === 'function' ? undefined : runner
  return {
    input: job.input,
    run: typeof runner === 'function' ? runner : runner[0]!.run,
    ...(targets ? { targets } : {}),
    ...(job.pricing ? { pricing: job.pricing } : {}),
  }
}

/** The worker side: rebuilds the call, runs the back of the chain, settles the budget. */
export function chatJobHandler(
  back: (call: Call) => Promise<Outcome>,
  blankMeta: () => SluiceMeta,
  budget: BudgetDeps,
  runners: Dict<RunnerOption> = {},
) {
  return async ({ data, signal }: { data: unknown; signal: AbortSignal }): Promise<ChatJobResult> => {
    const job = data as ChatJob
    // JSON has no Infinity: an unlimited period comes back as null.
    for (const l of job.reservation?.limits ?? []) l.limitUsd ??= Number.POSITIVE_INFINITY
    const call: Call = {
      kind: job.request ? 'chat' : 'call',
      endpoint: job.endpoint,
      userId: job.userId,
      tier: job.tier ?? undefined,
      priority: 5,
      ...(job.request ? { request: job.request } : wrapped(job, runners)),
      cache: { enabled: false, type: job.endpoint },
      signal,
      ...(job.timeoutMs !== null ? { timeoutMs: job.timeoutMs } : {}),
      meta: { ...blankMeta(), queuedMs: Date.now() - job.enqueuedAt },
      state: {},
    }
    let outcome: Outcome
    try {
      outcome = await back(call)
    } catch (error) {
      // Aborted (its lease is, or may be, another worker's, or this worker stopped): the job runs
      // again and that run settles the reservation, so it is not given back here.
      if (job.reservation && !signal.aborted) await releaseOrCount(budget, job.reservation)
      throw error
    }
    if (job.reservation) await settleOrCount(budget, call, job.reservation, outcome)
    const { provider, attempts, retries, fallbacks, queuedMs, costUsd, batched, batchSize } = call.meta
    return {
      outcome,
      meta: { provider, attempts, retries, fallbacks, queuedMs, costUsd, batched, batchSize },
    }
  }
}
