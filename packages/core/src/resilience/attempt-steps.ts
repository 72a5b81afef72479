import type { z } from 'zod'
import { abortError } from '../util/sleep'
import type { Circuits } from './circuit/circuits'
import type { retrySchema } from './resilience-schema'
import type { RunOptions } from './resilient-agent'
import { retryAfterFailure } from './retry-after-failure'
import { runTarget, type SendWith, type Target } from './targets'
import { withTimeout } from './with-timeout'

/** One target being tried for a call: what every step of the attempt sees. */
export interface Attempt<T> {
  target: Target<T>
  options: RunOptions
  /** Counted for the whole call, across targets. */
  stats: { attempts: number; retries: number; capacityWaitMs: number }
  /** The last target of the call: no fallback after it. */
  last?: boolean
  /** How the send goes: the pool key, where the response's headers go (set by the capacity step). */
  sendWith?: SendWith | undefined
}

/**
 * A step around each try of a target, outermost first: `retry` around `circuit` around the send.
 * `next()` runs the steps inside (and the send); a step may call it again (retry) or not at all
 * (an open circuit). A step that needs a say before each send (provider capacity) slots in
 * between these (capacity: inside the circuit, around the send).
 */
export type AttemptStep = <T>(attempt: Attempt<T>, next: () => Promise<T>) => Promise<T>

/** Composes the steps around the send: one function that tries a target. */
export function composeAttempt(
  steps: readonly AttemptStep[],
  send: <T>(attempt: Attempt<T>) => Promise<T>,
): <T>(attempt: Attempt<T>) => Promise<T> {
  return <T>(attempt: Attempt<T>) => {
    const from = (i: number): Promise<T> =>
      i === steps.length ? send(attempt) : steps[i]!(attempt, () => from(i + 1))
    return from(0)
  }
}

/** Retries what can succeed (p-retry's backoff with jitter, honouring Retry-After). */
export function retryStep(
  retry: z.output<typeof retrySchema>,
  onRetry: (name: string, attempt: number, error: unknown) => void,
): AttemptStep {
  return (attempt, next) =>
    next().catch((error: unknown) =>
      retryAfterFailure(next, error, {
        retry,
        signal: attempt.options.signal,
        onRetry: (failure, n) => {
          attempt.stats.retries++
          onRetry(attempt.target.name, n, failure)
        },
      }),
    )
}

/** The target's circuit: refused without calling while it is open; one probe for the fleet. */
export function circuitStep(circuits: Circuits): AttemptStep {
  return async (attempt, next) => {
    const circuit = circuits.get(attempt.target.name)
    return circuit.execute(await circuit.admit(), next)
  }
}

/**
 * The send itself: timed (whether or not the target listens to its signal), counted, and told
 * to the call's attempt hook. A call whose caller has already left sends nothing.
 */
export function sendAttempt(defaultTimeoutMs: number) {
  return <T>(attempt: Attempt<T>): Promise<T> => {
    const { target, options, stats } = attempt
    if (options.signal?.aborted) return Promise.reject(abortError(options.signal))
    stats.attempts++
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs
    const ended = options.onAttempt?.(target.name, attempt.sendWith?.capacity)
    const sent = withTimeout(target.name, timeoutMs, options.signal, (abort) =>
      runTarget(target, abort, timeoutMs, attempt.sendWith),
    )
    if (!ended) return sent
    return sent.then(
      (value) => {
        ended()
        return value
      },
      (error: unknown) => {
        ended(error)
        throw error
      },
    )
  }
}
