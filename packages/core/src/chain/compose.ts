import { SluiceError } from '../errors/sluice-error'
import type { Call, Middleware, Outcome } from './types'

/** Composes middlewares around a terminal step. Calling `next()` twice is an error. */
export function compose(middlewares: readonly Middleware[], terminal: (call: Call) => Promise<Outcome>) {
  return function run(call: Call): Promise<Outcome> {
    function dispatch(i: number): Promise<Outcome> {
      const mw = middlewares[i]
      if (!mw) return terminal(call)
      let called = false
      return mw(call, () => {
        if (called) {
          return Promise.reject(
            new SluiceError(
              'invalid_config',
              `middleware '${mw.middlewareName ?? mw.name ?? i}' called next() twice`,
            ),
          )
        }
        called = true
        return dispatch(i + 1)
      })
    }
    return dispatch(0)
  }
}
