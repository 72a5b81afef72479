import type { CallContext } from '../sluice/request-schema'

interface Storage<T> {
  run<R>(store: T, fn: () => R): R
  getStore(): T | undefined
}
type StorageClass = new () => Storage<CallContext>

/** AsyncLocalStorage where the runtime has it: a global (edge runtimes), else Node's own module. */
function storageClass(): StorageClass | undefined {
  const g = globalThis as {
    AsyncLocalStorage?: StorageClass
    process?: { getBuiltinModule?: (id: string) => unknown }
  }
  if (typeof g.AsyncLocalStorage === 'function') return g.AsyncLocalStorage
  const hooks = g.process?.getBuiltinModule?.('node:async_hooks') as
    | { AsyncLocalStorage?: StorageClass }
    | undefined
  return hooks?.AsyncLocalStorage
}

// One scope per process, whichever copy of the package (ESM, CommonJS) sets or reads it.
const KEY = Symbol.for('sluice.callScope')

function storage(): Storage<CallContext> | undefined {
  const g = globalThis as unknown as Record<symbol, Storage<CallContext> | null | undefined>
  if (g[KEY] === undefined) {
    const S = storageClass()
    g[KEY] = S ? new S() : null
  }
  return g[KEY] ?? undefined
}

/** Whether this runtime keeps a call context across awaits (AsyncLocalStorage). */
export const hasCallScope = (): boolean => storage() !== undefined

/**
 * Runs `fn` with `ctx` as the call context of the calls made inside it, awaits included, that
 * take their caller from the scope (the drop-in clients, `sluiceFetch`). Where the runtime has no
 * AsyncLocalStorage, `fn` runs without it and those calls need their context per call.
 */
export function withCallContext<R>(ctx: CallContext, fn: () => R): R {
  const s = storage()
  return s ? s.run(ctx, fn) : fn()
}

/** The call context of the scope this code runs in, if any. */
export function currentCallContext(): CallContext | undefined {
  return storage()?.getStore()
}
