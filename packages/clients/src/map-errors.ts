/**
 * The client's promise (an APIPromise: a Promise with `withResponse()` and `asResponse()`) with
 * every way of reading it kept, and its rejection replaced by the error Sluice raised for the
 * call when there is one (`lookup`): the client's own error for Sluice's error response says
 * less. A stream it resolves to rejects its iteration the same way.
 */
export function mapErrors<P extends object>(promise: P, lookup: () => unknown): P {
  const rethrow = (error: unknown): never => {
    throw lookup() ?? error
  }
  const base = promise as unknown as Promise<unknown> & {
    withResponse(): Promise<{ data: unknown }>
    asResponse(): Promise<Response>
  }
  const settled = () => base.then((value) => mapStream(value, rethrow), rethrow)
  return new Proxy(promise, {
    get(target, prop) {
      if (prop === 'then')
        return (onValue?: (v: unknown) => unknown, onError?: (e: unknown) => unknown) =>
          settled().then(onValue, onError)
      if (prop === 'catch') return (onError?: (e: unknown) => unknown) => settled().catch(onError)
      if (prop === 'finally') return (onFinally?: () => void) => settled().finally(onFinally)
      if (prop === 'withResponse')
        return () =>
          base.withResponse().then((got) => ({ ...got, data: mapStream(got.data, rethrow) }), rethrow)
      if (prop === 'asResponse') return () => base.asResponse().catch(rethrow)
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** A client's stream (async iterable with a `controller`) whose iteration rethrows as `rethrow` says. */
function mapStream(value: unknown, rethrow: (error: unknown) => never): unknown {
  if (
    typeof value !== 'object' ||
    value === null ||
    !(Symbol.asyncIterator in value) ||
    !('controller' in value)
  )
    return value
  const stream = value as AsyncIterable<unknown>
  return new Proxy(stream, {
    get(target, prop) {
      if (prop === Symbol.asyncIterator)
        return () => {
          const it = target[Symbol.asyncIterator]()
          const mapped: AsyncIterator<unknown> & AsyncIterable<unknown> = {
            next: () => it.next().catch(rethrow),
            return: (v?: unknown) => it.return?.(v) ?? Promise.resolve({ done: true as const, value: v }),
            [Symbol.asyncIterator]() {
              return mapped
            },
          }
          return mapped
        }
      const own = Reflect.get(target, prop, target)
      return typeof own === 'function' ? own.bind(target) : own
    },
  })
}
