import { SluiceError } from '../errors/sluice-error'
import type { CachePort } from '../store/cache-port'
import { randomId } from '../util/hash'
import { abortError } from '../util/sleep'

/** How long a leader's lock lives without renewal: a leader that dies frees it this soon. */
export const LOCK_TTL_MS = 10_000
const POLL_MIN_MS = 25
const POLL_MAX_MS = 250

export interface FlightOptions {
  /** The leader's lease on the flight (renewed while it runs); a dead leader's lapses this soon. */
  leaseMs?: number
  /** The key under which the leader stores the answer that followers read. */
  entryKey: string
  /** Announces finished flights (push); absent on stores without pub/sub. */
  channel: string
  signal?: AbortSignal
}

/**
 * Single-flight across instances: the caller that takes the lock (`setIfAbsent`) runs `lead`,
 * which must store the answer under `entryKey` before it returns; every other instance waits for
 * that entry — woken by a push where the store has one, polling (bounded, backing off) where it
 * does not — and reads it. The lock is a lease, renewed while the leader runs: if the leader
 * dies, it lapses and a follower takes over; if the leader fails, it releases the lock at once
 * and a follower leads next. When the store is down, the cache is bypassed: the caller leads.
 */
export async function flyOnce<T>(
  port: CachePort,
  options: FlightOptions,
  lead: () => Promise<T>,
  read: () => Promise<T | undefined>,
): Promise<{ value: T; shared: boolean }> {
  const lockKey = `${options.entryKey}:lock`
  const lease = options.leaseMs ?? LOCK_TTL_MS
  for (;;) {
    if (options.signal?.aborted) throw abortError(options.signal)
    const owner = randomId()
    const locked = await port.setIfAbsent(lockKey, owner, lease).catch(bypass)
    if (locked === BYPASS) return { value: await lead(), shared: false }
    if (locked) {
      const renew = setInterval(() => void port.extendIf(lockKey, owner, lease).catch(() => false), lease / 3)
      try {
        return { value: await lead(), shared: false }
      } finally {
        clearInterval(renew)
        // Released behind the answer, not before it: the caller need not wait for the store.
        void port.deleteIf(lockKey, owner).catch(() => false)
        void port.publish?.(options.channel, options.entryKey).catch(() => {})
      }
    }
    const value = await waitForLeader(port, options, lockKey, read).catch(bypass)
    if (value === BYPASS) return { value: await lead(), shared: false }
    if (value !== undefined) return { value, shared: true }
    // The leader went without an answer (it failed, or died and its lease lapsed): lead next.
  }
}

const BYPASS = Symbol('bypass')

/** A store that cannot answer is bypassed; any other error is the caller's. */
function bypass(error: unknown): typeof BYPASS {
  if (SluiceError.is(error, 'store_unavailable')) return BYPASS
  throw error
}

async function waitForLeader<T>(
  port: CachePort,
  options: FlightOptions,
  lockKey: string,
  read: () => Promise<T | undefined>,
): Promise<T | undefined> {
  let wake: (() => void) | undefined
  const unsubscribe = port.subscribe?.(options.channel, (key) => {
    if (key === options.entryKey) wake?.()
  })
  try {
    for (let delay = POLL_MIN_MS; ; delay = Math.min(POLL_MAX_MS, delay * 2)) {
      const value = await read()
      if (value !== undefined) return value
      if ((await port.get(lockKey)) === undefined) return read() // released: answered, or not
      await pause(delay, options.signal, (w) => {
        wake = w
      })
    }
  } finally {
    unsubscribe?.()
  }
}

/** Waits `ms`, or until woken (the leader's push), or rejects when the signal aborts. */
function pause(
  ms: number,
  signal: AbortSignal | undefined,
  onWake: (wake: () => void) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    const timer = setTimeout(() => {
      done()
      resolve()
    }, ms)
    const onAbort = () => {
      done()
      reject(abortError(signal!))
    }
    onWake(() => {
      done()
      resolve()
    })
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, { once: true })
  })
}
