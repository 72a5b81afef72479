import { SluiceError } from '../errors/sluice-error'

/** A function `sluice.call` may fall back to, named for its breaker and metrics. */
export interface WrappedTarget<I, R> {
  name: string
  run: (input: I, signal: AbortSignal) => Promise<R>
}

/**
 * `sluice.call`'s last argument as targets: one function (named by the endpoint later), or a
 * list tried in order, each with a distinct name.
 */
export function wrappedTargets<I, R>(
  fn: ((input: I, signal: AbortSignal) => Promise<R>) | WrappedTarget<I, R>[],
): WrappedTarget<I, R>[] {
  if (typeof fn === 'function') return [{ name: '', run: fn }]
  if (!Array.isArray(fn) || fn.length === 0) {
    throw new SluiceError('invalid_request', 'fn: expected a function or a non-empty list of { name, run }', {
      path: 'fn',
    })
  }
  const names = new Set<string>()
  for (const [i, t] of fn.entries()) {
    if (!t || typeof t.run !== 'function' || typeof t.name !== 'string' || t.name.length === 0) {
      throw new SluiceError('invalid_request', `fn[${i}]: expected { name, run }`, { path: `fn[${i}]` })
    }
    if (names.has(t.name))
      throw new SluiceError('invalid_request', `fn[${i}].name: '${t.name}' appears twice`, {
        path: `fn[${i}].name`,
      })
    names.add(t.name)
  }
  return fn
}
