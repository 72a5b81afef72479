import { SluiceError } from '../errors/sluice-error'
import type { PortName, Store } from './store'

/** The names of a port's methods that answer with a promise: the calls that go to the store. */
export type StoreCallsOf<Port> = {
  [K in keyof Port]-?: NonNullable<Port[K]> extends (...args: never[]) => Promise<unknown> ? K : never
}[keyof Port]

export type PortOf<P extends PortName> = NonNullable<Store[P]>

/**
 * The store calls of each port: every one gets a timeout. Listener methods (`onFinished`,
 * `subscribe`…) answer at once and are left alone. Checked against the port types (the guard's
 * test): a port method that answers with a promise and is missing here does not compile.
 */
export const STORE_CALLS = {
  rateLimit: ['consume', 'consumeAll', 'peek', 'reset'],
  cache: ['get', 'set', 'setIfAbsent', 'extendIf', 'delete', 'deleteIf', 'deletePrefix', 'publish'],
  usage: ['reserve', 'settle', 'total', 'rows', 'dayTotals'],
  queue: ['add', 'get', 'claim', 'extendLease', 'complete', 'fail', 'cancel', 'position', 'counts'],
  breaker: ['get', 'compareAndSet'],
  metrics: ['write', 'get', 'countDistinct'],
} as const satisfies { [P in PortName]: readonly StoreCallsOf<PortOf<P>>[] }

export const DEFAULT_STORE_TIMEOUT_MS = 1_000

interface Pending {
  deadline: number
  expire: () => void
}
const GUARDED = Symbol.for('sluice.store.guarded')
const guards = new WeakMap<Store, Store>()

export interface StoreGuardOptions {
  /** How long one store call may take before it counts as failed (default 1 s). */
  timeoutMs?: number
  /** Consecutive failures after which calls fail at once, without waiting (default 3). */
  failFastAfter?: number
  /** How long calls fail at once before one probe call is let through again (default 1 s). */
  cooldownMs?: number
  now?: () => number
}

/**
 * Puts a timeout on every call of every port of a store: a call past it rejects with
 * `store_unavailable` (reason `timeout`), so the port's failure policy applies instead of the
 * app hanging on a frozen or unreachable server. After a few failures in a row the store fails
 * fast for a short cooldown — so a frozen server is not sent a command per call, to run all of
 * them late when it wakes — then lets one probe through. A late answer is dropped, never left
 * as an unhandled rejection. Stores that live in this process (`memoryStore`) are returned as they are.
 */
export function guardStore<S extends Store>(store: S, options: StoreGuardOptions = {}): S {
  if (store.local || (store as { [GUARDED]?: true })[GUARDED]) return store
  // One guard per store, whoever asks (createSluice, each primitive): one timeout and one failure
  // count for every call to it.
  const known = guards.get(store)
  if (known) return known as S
  const timeoutMs = options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS
  const failFastAfter = options.failFastAfter ?? 3
  const cooldownMs = options.cooldownMs ?? 1_000
  const now = options.now ?? Date.now
  let failures = 0
  let closedUntil = 0

  function call(port: string, method: string, fn: (...a: unknown[]) => Promise<unknown>, args: unknown[]) {
    if (failures >= failFastAfter) {
      if (now() < closedUntil) {
        return Promise.reject(
          new SluiceError(
            'store_unavailable',
            `${store.name}: failing fast after ${failures} store failures in a row`,
            {
              retryable: true,
              details: { reason: 'failing_fast', port },
            },
          ),
        )
      }
      closedUntil = now() + cooldownMs // this call is the probe; the others keep failing fast
    }
    return new Promise<unknown>((resolve, reject) => {
      const pending: Pending = {
        deadline: performance.now() + timeoutMs,
        expire: () =>
          settle(
            new SluiceError(
              'store_unavailable',
              `${store.name}: ${port}.${method} got no answer in ${timeoutMs}ms`,
              {
                retryable: true,
                details: { reason: 'timeout', port },
              },
            ),
          ),
      }
      let done = false
      const settle = (error: unknown, value?: unknown) => {
        if (done) return // an answer that comes after the timeout is dropped
        done = true
        inFlight.delete(pending)
        if (error === undefined) {
          failures = 0
          return resolve(value)
        }
        if (SluiceError.is(error, 'store_unavailable')) {
          failures++
          if (failures >= failFastAfter) closedUntil = now() + cooldownMs
        } else failures = 0 // the store answered; the answer was a refusal
        reject(error)
      }
      inFlight.add(pending)
      watch()
      let work: Promise<unknown>
      try {
        work = fn(...args)
      } catch (error) {
        work = Promise.reject(error)
      }
      work.then(
        (value) => settle(undefined, value),
        (error: unknown) => settle(error ?? new Error('store call failed')),
      )
    })
  }

  // One timer for every call in flight (not one per call): it wakes a few times per timeout and
  // fails the calls past their deadline; it stops when nothing is in flight.
  const inFlight = new Set<Pending>()
  let sweeper: ReturnType<typeof setInterval> | undefined
  function watch() {
    if (sweeper) return
    sweeper = setInterval(
      () => {
        const t = performance.now() // real time, whatever clock the cooldown is told to use
        for (const p of inFlight) if (p.deadline <= t) p.expire()
        if (inFlight.size === 0) {
          clearInterval(sweeper)
          sweeper = undefined
        }
      },
      Math.max(5, Math.floor(timeoutMs / 8)),
    )
    sweeper.unref?.()
  }

  // Everything else (names, pools, helpers, listener methods) is inherited as it is.
  const guarded = Object.create(store) as Record<string | symbol, unknown>
  guarded[GUARDED] = true
  for (const [port, methods] of Object.entries(STORE_CALLS) as [PortName, readonly string[]][]) {
    const target = store[port] as Record<string, unknown> | undefined
    if (!target) continue
    const wrapped = Object.create(target) as Record<string, unknown>
    for (const method of methods) {
      const fn = target[method]
      if (typeof fn === 'function')
        wrapped[method] = (...args: unknown[]) => call(port, method, fn.bind(target) as never, args)
    }
    Object.defineProperty(guarded, port, { value: wrapped, enumerable: true })
  }
  guards.set(store, guarded as unknown as Store)
  return guarded as unknown as S
}

/**
 * Marks a store built from ports that are already guarded (or live in this process), so the
 * primitives it is handed to do not wrap them again: one timeout per call, one failure count.
 */
export function markGuarded<S extends Store>(store: S): S {
  ;(store as { [GUARDED]?: true })[GUARDED] = true
  return store
}
