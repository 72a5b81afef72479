import type { Call } from '../../chain/types'
import type { Dict } from '../../config/dict-schema'
import type { Reservation } from '../../cost/cost-tracker'
import { SluiceError } from '../../errors/sluice-error'
import type { ChatRequest } from '../../providers/types'
import { newCall } from '../make-call'
import type { RunnerOption } from '../sluice-schema'

/**
 * A call as it travels through the queue: what a worker needs to run the rest of the chain for
 * it. JSON has no Infinity, so an unlimited budget period travels as `null`.
 */
export interface QueuedCall {
  /** A chat's request; or, for a wrapped call, its input and the runner that runs it. */
  request: ChatRequest | null
  input?: unknown
  runner?: string
  pricing?: Call['pricing']
  endpoint: string
  userId: string
  tier: string | null
  group?: string
  priority: number
  cache: Call['cache']
  timeoutMs: number | null
  enqueuedAt: number
  /** The waiter's budget reservation: the worker settles it, whoever still waits. */
  reservation: (Omit<Reservation, 'limits'> & { limits: { limitUsd: number | null }[] }) | null
}

/** The job of a call handed to the queue. */
export function queuedCall(call: Call, now: number): QueuedCall {
  const r = call.steps.reservation
  return {
    request: call.request ?? null,
    ...(call.request ? {} : { input: call.input ?? null, runner: call.runner, pricing: call.pricing }),
    endpoint: call.endpoint,
    userId: call.userId,
    tier: call.tier ?? null,
    ...(call.group !== undefined ? { group: call.group } : {}),
    priority: call.priority,
    cache: call.cache,
    timeoutMs: call.timeoutMs ?? null,
    enqueuedAt: now,
    reservation: r
      ? {
          ...r,
          limits: r.limits.map((l) => ({ ...l, limitUsd: Number.isFinite(l.limitUsd) ? l.limitUsd : null })),
        }
      : null,
  }
}

/** A queued wrapped call's input and the function(s) this worker runs it with. */
function wrapped(job: QueuedCall, runners: Dict<RunnerOption>): Partial<Call> {
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

/** The call a worker runs for a job, and the reservation it settles. */
export function callOfJob(
  job: QueuedCall,
  runners: Dict<RunnerOption>,
  signal: AbortSignal,
  now: number,
): { call: Call; reservation: Reservation | undefined } {
  const call = newCall(
    {
      kind: job.request ? 'chat' : 'call',
      endpoint: job.endpoint,
      userId: job.userId,
      tier: job.tier ?? undefined,
      ...(job.group !== undefined ? { group: job.group } : {}),
      priority: job.priority,
      ...(job.request ? { request: job.request } : wrapped(job, runners)),
      cache: job.cache,
      signal,
      ...(job.timeoutMs !== null ? { timeoutMs: job.timeoutMs } : {}),
    },
    { queuedMs: now - job.enqueuedAt },
  )
  const r = job.reservation
  // The call is made now, on the worker: its usage is priced as of now (a job kept for cheap hours
  // is charged their price, not the price when it was queued).
  const reservation = r
    ? {
        ...r,
        at: now,
        limits: r.limits.map((l) => ({ ...l, limitUsd: l.limitUsd ?? Number.POSITIVE_INFINITY })),
      }
    : undefined
  return { call, reservation: reservation as Reservation | undefined }
}
