import { SluiceError } from '../errors/sluice-error'
import { type Middleware, type MiddlewarePair, named, type StreamOutcome } from './types'

/**
 * One middleware from what `use()` takes: a function (it sees calls and streams alike; for a
 * stream `next()` resolves to an outcome with `stream`) or a `{ wrapCall, wrapStream }` pair.
 */
export function toMiddleware(m: Middleware | MiddlewarePair): Middleware {
  if (typeof m === 'function') return m
  if (typeof m !== 'object' || m === null || (!m.wrapCall && !m.wrapStream))
    throw new SluiceError('invalid_config', 'use(): expected (call, next) => … or { wrapCall, wrapStream }')
  const { wrapCall, wrapStream } = m
  for (const [key, fn] of [
    ['wrapCall', wrapCall],
    ['wrapStream', wrapStream],
  ] as const) {
    if (fn !== undefined && typeof fn !== 'function')
      throw new SluiceError('invalid_config', `use(): ${key} must be a function`)
  }
  return named(m.name ?? 'anonymous', (call, next) => {
    if (call.stream) return wrapStream ? wrapStream(call, next as () => Promise<StreamOutcome>) : next()
    return wrapCall ? wrapCall(call, next) : next()
  })
}
