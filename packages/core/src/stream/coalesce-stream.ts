import type { CacheService } from '../cache/cache-service'
import type { Call, Next, Outcome } from '../chain/types'
import { SluiceError } from '../errors/sluice-error'
import { asStream, keyOf, ttlOf } from '../sluice/middleware/cache-key'
import { abortError } from '../util/sleep'
import { untilAborted } from '../util/until-aborted'
import { type SharedStream, shareStream } from './shared-stream'

/** A stream this process leads upstream, with the outcome its leader got. */
interface Live {
  shared: SharedStream
  outcome: Outcome
}

/**
 * One identical stream in flight: `led` once its leader here has its first chunk; `flight` once
 * it is over — or at once answered, when another instance led it or an identical plain chat
 * was already in flight.
 */
export interface StreamFlight {
  led: Promise<Live>
  flight: Promise<{ value: Outcome; shared: boolean }>
}

/**
 * Identical streams in flight share one upstream stream. Readers in this process join it live,
 * from its first chunk; other instances on the store wait for the leader to store the finished
 * answer and replay it. A stream joining an identical plain chat in flight replays its answer.
 */
export async function coalesceStream(
  cache: CacheService,
  flights: Map<string, StreamFlight>,
  call: Call,
  next: Next,
): Promise<Outcome> {
  const key = await keyOf(cache, call)
  call.steps.cacheStored = true // the leader stores the answer
  const caller = call.signal
  // A leader whose caller left before the first chunk took the opening with it: lead next.
  const again = () => coalesceStream(cache, flights, call, next)
  const joined = flights.get(key)
  if (joined) return join(call, joined, { follower: true, caller, again })
  const gone = () => {
    if (flights.get(key) === f) flights.delete(key)
  }
  const f = lead(cache, key, call, next, gone)
  flights.set(key, f)
  f.flight.then(gone, gone)
  return join(call, f, { follower: false, caller, again })
}

/**
 * The leader's upstream stream runs under a signal of its own: the leader's caller cancels the
 * opening (followers waiting then lead next), but once the first chunk is in, its caller only
 * makes its own reader leave — the stream goes on while anyone reads, and stops when nobody does.
 */
function lead(cache: CacheService, key: string, call: Call, next: Next, gone: () => void): StreamFlight {
  let leading!: (l: Live) => void
  const led = new Promise<Live>((resolve) => {
    leading = resolve
  })
  const caller = call.signal
  // Without a caller's signal nothing but the readers leaving can end it (and they close it).
  const upstream = caller ? new AbortController() : undefined
  const cancelOpening = () => upstream?.abort(abortError(caller!))
  caller?.addEventListener('abort', cancelOpening, { once: true })
  if (caller?.aborted) cancelOpening()
  if (upstream) call.signal = upstream.signal
  const flight = cache.coalesce(
    key,
    async (): Promise<Outcome> => {
      let outcome: Outcome
      try {
        outcome = await next()
      } finally {
        caller?.removeEventListener('abort', cancelOpening)
      }
      if (!outcome.stream) return outcome // a middleware answered without streaming
      const nobodyReads = () => {
        gone()
        upstream?.abort(new SluiceError('cancelled', 'every reader left the stream'))
      }
      const live: Live = { shared: shareStream(outcome.stream, nobodyReads), outcome }
      leading(live)
      const completion = await live.shared.done
      const { stream: _, ...rest } = outcome
      return { ...rest, value: completion, ...(completion?.usage ? { usage: completion.usage } : {}) }
    },
    {
      ttlMs: ttlOf(cache, call),
      keep: (o) => o.value !== undefined, // a stream left by its readers, or not plain text: not kept
      ...(caller ? { signal: caller } : {}),
    },
  )
  return { led, flight } // its failures reach the readers through their streams (see join)
}

interface Joining {
  follower: boolean
  /** The caller's own signal (a leader's call runs under the upstream's from here on). */
  caller: AbortSignal | undefined
  again: () => Promise<Outcome>
}

async function join(call: Call, f: StreamFlight, { follower, caller, again }: Joining): Promise<Outcome> {
  const over = f.flight.then((r) => ({ r }))
  over.catch(() => {}) // once led, a later failure reaches the reader through its stream
  let first: { l: Live } | { r: { value: Outcome; shared: boolean } }
  try {
    // Each reader waits for the first chunk under its own signal.
    first = await untilAborted(Promise.race([f.led.then((l) => ({ l })), over]), caller)
  } catch (error) {
    if (follower && SluiceError.is(error, 'cancelled') && !caller?.aborted) return again()
    throw error
  }
  const outcome = 'l' in first ? first.l.outcome : first.r.value
  if (follower || ('r' in first && first.r.shared)) {
    call.meta.coalesced = true
    call.meta.provider = outcome.provider ?? null
  }
  if ('l' in first) return { ...outcome, stream: first.l.shared.read(caller) }
  return asStream(call, outcome)
}
