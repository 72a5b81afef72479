import type { AttemptHook, Call } from '../../chain/types'
import { SluiceError } from '../../errors/sluice-error'

/**
 * The attempt hook for the upstream call of `calls` (one call, or a batch): each call's own hook
 * (its trace) is told, and a call whose attempt was cut by a cancellation is marked
 * `steps.cutUpstream` — its request had gone up, so its tokens may have been spent.
 */
export function watchAttempts(calls: readonly Call[]): AttemptHook {
  const cut = (error?: unknown) => {
    if (SluiceError.is(error, 'cancelled')) for (const c of calls) c.steps.cutUpstream = true
  }
  const hooks = calls.flatMap((c) => (c.steps.onAttempt ? [c.steps.onAttempt] : []))
  if (hooks.length === 0) return () => cut // untraced (most calls): nothing made per attempt
  return (target, capacity) => {
    const ends = hooks.map((h) => h(target, capacity))
    return (error) => {
      cut(error)
      for (const end of ends) end(error)
    }
  }
}
