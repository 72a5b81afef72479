import { SluiceError } from '../errors/sluice-error'
import { abortError } from '../util/sleep'
import type { Attempt } from './attempt-steps'
import type { Circuits } from './circuit/circuits'
import type { RunOptions, RunResult } from './resilient-agent'
import { canFallBack } from './retryable'
import type { Target } from './targets'

export interface FallbackDeps {
  circuits: Circuits
  onFallback: (from: string, to: string, error: unknown) => void
}

/**
 * Tries the targets in order until one answers: a failure another target may not share (not the
 * request's own fault, nor a cancellation, nor a stream already half read) falls back to the
 * next. When every target's circuit is open, the call fails with `circuit_open` and the time
 * until the first probe.
 */
export async function fallBack<T>(
  targets: readonly Target<T>[],
  options: RunOptions,
  attempt: (a: Attempt<T>) => Promise<T>,
  o: FallbackDeps,
): Promise<RunResult<T>> {
  const stats = { attempts: 0, retries: 0, capacityWaitMs: 0 }
  let lastError: unknown
  for (const [index, target] of targets.entries()) {
    try {
      const value = await attempt({ target, options, stats, last: index === targets.length - 1 })
      return {
        value,
        provider: target.name,
        attempts: stats.attempts,
        retries: stats.retries,
        capacityWaitMs: stats.capacityWaitMs,
        fallbacks: index,
      }
    } catch (error) {
      lastError = error
      if (options.signal?.aborted) throw abortError(options.signal)
      const next = targets[index + 1]
      if (!next || !canFallBack(error)) break
      o.onFallback(target.name, next.name, error)
    }
  }
  const circuits = targets.map((t) => o.circuits.find(t.name))
  if (circuits.length > 0 && circuits.every((c) => c?.state === 'open')) {
    throw new SluiceError('circuit_open', 'every provider is failing; try again later', {
      retryAfterMs: Math.min(...circuits.map((c) => c!.retryAfterMs())),
      cause: lastError,
    })
  }
  throw lastError
}
