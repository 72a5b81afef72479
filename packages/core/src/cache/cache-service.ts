import { z } from 'zod'
import { parseOptions } from '../config/parse-options'
import { SluiceError } from '../errors/sluice-error'
import { MetricsBuffer } from '../monitor/metrics-buffer'
import type { CachePort } from '../store/cache-port'
import { defaultStore } from '../store/default-store'
import type { MetricsPort } from '../store/metrics-port'
import type { Store } from '../store/store'
import { guardStore } from '../store/store-guard'
import { canonicalJson } from '../util/canonical-json'
import { sha256Hex } from '../util/hash'
import { checkId, keyOf } from '../util/keys'
import { untilAborted } from '../util/until-aborted'
import { type CacheScope, cacheOptionsSchema } from './cache-schema'
import { keyInput } from './key-input'
import { ParsedAnswers } from './parsed-answers'
import { flyOnce } from './single-flight'

type Flights = Map<
  string,
  { flight: Promise<{ value: unknown; shared: boolean }>; keep?: (value: never) => boolean }
>
const flightsByPort = new WeakMap<CachePort, Flights>()
/** The flights in this process on one cache port: instances sharing a store share them. */
function flightsOn(port: CachePort): Flights {
  let flights = flightsByPort.get(port)
  if (!flights) {
    flights = new Map()
    flightsByPort.set(port, flights)
  }
  return flights
}

const DEFAULT_TTL_MS = 3_600_000
const STATS_TTL_MS = 30 * 86_400_000

const schema = cacheOptionsSchema.extend({
  store: z.custom<Store>((v) => typeof v === 'object' && v !== null).optional(),
  /** Where hit/miss counts gather before they are flushed (createSluice shares its own). */
  metricsBuffer: z.custom<MetricsBuffer>((v) => v instanceof MetricsBuffer).optional(),
  prefix: z.string().min(1).default('sluice'),
})

export type CacheServiceOptions = z.input<typeof schema>

export interface CacheCallOptions {
  scope?: CacheScope
  /** Required for `user` scope. */
  userId?: string
  /** Overrides the type's TTL for this entry. */
  ttlMs?: number
}

export interface CacheStats {
  hits: number
  misses: number
  /** hits / (hits + misses), 0..1; 0 when nothing was looked up. */
  hitRate: number
}

export type Invalidation = { type: string; input?: unknown; userId?: string } | { prefix: string }

/**
 * A shared response cache: canonical-JSON SHA-256 keys, a TTL per type, `global` or `user`
 * scope, invalidation, stats that add up across instances, and single-flight for identical calls.
 */
export class CacheService {
  private readonly o: z.output<typeof schema>
  private readonly port: CachePort
  private readonly metrics: MetricsPort
  /** Flights led in this process on this port, with the leader's `keep` (see `flightsOn`). */
  private readonly inFlight: Flights
  /** A store in this process: every instance on it shares `inFlight`, so no lock is needed. */
  private readonly local: boolean

  constructor(options: CacheServiceOptions = {}) {
    this.o = parseOptions(schema, options, 'cache')
    const store = this.o.store && guardStore(this.o.store)
    const fallback = store?.cache && store.metrics ? undefined : defaultStore()
    this.port = store?.cache ?? fallback!.cache
    this.metrics = store?.metrics ?? fallback!.metrics
    this.local = store?.cache ? store.local === true : true
    this.inFlight = flightsOn(this.port)
    this.buffer = this.o.metricsBuffer ?? new MetricsBuffer(this.metrics)
    this.base = keyOf(this.o.prefix, 'cache')
    this.channel = `${this.base}:flights`
    const stat = (kind: string) => keyOf(this.o.prefix, 'stats', 'cache', kind)
    this.statKeys = { hits: stat('hits'), misses: stat('misses'), bypassed: stat('bypassed') }
  }

  private readonly base: string
  private readonly answers = new ParsedAnswers()
  private readonly channel: string
  private readonly statKeys: Record<'hits' | 'misses' | 'bypassed', string>
  private readonly buffer: MetricsBuffer

  get enabled(): boolean {
    return this.o.enabled
  }

  ttlFor(type: string): number {
    return this.o.ttl[type] ?? this.o.ttl.default ?? DEFAULT_TTL_MS
  }

  scopeFor(type: string, requested?: CacheScope): CacheScope {
    return requested ?? (this.o.userScoped.includes(type) ? 'user' : this.o.scope)
  }

  /**
   * The store key for an input: `prefix:cache:type:scope:sha256(canonical input)`. A chat
   * request is keyed without its transport fields (`stream`, `stream_options`, `user`).
   */
  async key(type: string, input: unknown, options: CacheCallOptions = {}): Promise<string> {
    checkId(type, 'cache.type')
    const scope = this.scopeFor(type, options.scope)
    if (scope === 'user' && options.userId === undefined) {
      throw new SluiceError('invalid_request', 'userId: required for a user-scoped cache entry', {
        path: 'userId',
      })
    }
    const owner = scope === 'user' ? ownerOf(checkId(options.userId, 'userId')) : 'g'
    // canonicalJson refuses what it cannot key (class instances, cycles…) with invalid_request.
    return `${this.typePrefix(type)}:${owner}:${await sha256Hex(canonicalJson(keyInput(input)))}`
  }

  async get<T = unknown>(
    type: string,
    input: unknown,
    options: CacheCallOptions = {},
  ): Promise<T | undefined> {
    return this.getByKey<T>(await this.key(type, input, options))
  }

  async set(type: string, input: unknown, value: unknown, options: CacheCallOptions = {}): Promise<void> {
    await this.setByKey(await this.key(type, input, options), value, options.ttlMs ?? this.ttlFor(type))
  }

  /**
   * Lookup by a key from `key()`, for callers that need the key more than once. Counts a hit or
   * miss. When the store is down the cache is bypassed: a miss, not an error.
   */
  async getByKey<T = unknown>(key: string): Promise<T | undefined> {
    let raw: string | undefined
    try {
      raw = await this.port.get(key)
    } catch (error) {
      if (!SluiceError.is(error, 'store_unavailable')) throw error
      this.count('bypassed')
      return undefined
    }
    this.count(raw === undefined ? 'misses' : 'hits')
    return raw === undefined ? undefined : this.answers.read<T>(key, raw)
  }

  /** Stores a value; when the store is down the answer is simply not cached. */
  async setByKey(key: string, value: unknown, ttlMs: number): Promise<void> {
    if (ttlMs <= 0) return
    try {
      await this.port.set(key, JSON.stringify({ v: value }), ttlMs)
    } catch (error) {
      if (!SluiceError.is(error, 'store_unavailable')) throw error
      this.count('bypassed')
    }
  }

  /**
   * Returns the cached value, or runs `fn` once for all identical concurrent callers in this
   * process and caches its result. `hit` tells whether the value came from the cache.
   */
  async wrap<T>(
    type: string,
    input: unknown,
    fn: () => Promise<T>,
    options: CacheCallOptions = {},
  ): Promise<{ value: T; hit: boolean; shared: boolean }> {
    const key = await this.key(type, input, options)
    const cached = await this.getByKey<T>(key)
    if (cached !== undefined) return { value: cached, hit: true, shared: false }
    const { value, shared } = await this.coalesce(key, fn, { ttlMs: options.ttlMs ?? this.ttlFor(type) })
    return { value, hit: false, shared }
  }

  /**
   * Identical in-flight calls (same key) share one run of `fn` — in this process, and across
   * every instance sharing the store: one instance leads (its `fn` runs and the answer is stored
   * under `key` for `ttlMs` before the flight ends), the others read that answer (pushed where
   * the store has pub/sub, polled where not). A leader that dies is taken over, and so is one
   * whose caller left (its call cancelled): a follower still waiting leads next. A follower whose
   * own `signal` aborts stops waiting at once. `keep` may refuse to store an answer (followers in
   * other processes then run their own).
   */
  async coalesce<T>(
    key: string,
    fn: () => Promise<T>,
    options: { ttlMs: number; signal?: AbortSignal; keep?: (value: T) => boolean },
  ): Promise<{ value: T; shared: boolean }> {
    const running = this.inFlight.get(key)
    if (running) {
      let value: unknown
      try {
        // A follower whose own caller leaves stops waiting at once; the flight goes on for the others.
        ;({ value } = await untilAborted(running.flight, options.signal))
      } catch (error) {
        // The leader's caller left, and its call with it: this caller, still here, leads next
        // (as a follower in another process does when a leader dies).
        if (SluiceError.is(error, 'cancelled') && !options.signal?.aborted)
          return this.coalesce(key, fn, options)
        throw error
      }
      // Not kept (a stream left by its readers, say): nothing to share, this call leads its own.
      if (running.keep?.(value as never) === false) return this.coalesce(key, fn, options)
      return { value: value as T, shared: true }
    }
    const lead = async () => {
      const value = await fn()
      // Before the lock goes: followers read it (an answer not kept: they run their own).
      if (options.keep?.(value) !== false) await this.setByKey(key, value, options.ttlMs)
      return value
    }
    const read = async () => {
      const raw = await this.port.get(key)
      return raw === undefined ? undefined : this.answers.read<T>(key, raw)
    }
    // Across processes a lock elects one leader; in one process the flights map already has.
    const flight =
      options.ttlMs > 0 && !this.local
        ? flyOnce(
            this.port,
            {
              entryKey: key,
              channel: this.channel,
              leaseMs: this.o.flightLease,
              ...(options.signal ? { signal: options.signal } : {}),
            },
            lead,
            read,
          )
        : lead().then((value) => ({ value, shared: false })) // this process only: the flights map shares it
    const promise = flight.finally(() => this.inFlight.delete(key))
    this.inFlight.set(key, { flight: promise, ...(options.keep ? { keep: options.keep } : {}) })
    return promise
  }

  /** By type (optionally one user's entries), by exact input, or by type-name prefix. Returns how many went. */
  async invalidate(what: Invalidation): Promise<number> {
    if ('prefix' in what) {
      return this.port.deletePrefix(`${this.base}:${encodeURIComponent(checkId(what.prefix, 'prefix'))}`)
    }
    if (what.input !== undefined) {
      // The entry may sit under the type's scope or, from a per-call override, the other one.
      const keys = [await this.key(what.type, what.input, { scope: 'global' })]
      if (what.userId !== undefined)
        keys.push(await this.key(what.type, what.input, { scope: 'user', userId: what.userId }))
      else if (this.scopeFor(what.type) === 'user') {
        throw new SluiceError('invalid_request', `userId: '${what.type}' answers are per user; say whose`, {
          path: 'userId',
        })
      }
      let n = 0
      for (const key of keys) if (await this.port.delete(key)) n++
      return n
    }
    const owner = what.userId === undefined ? '' : `${ownerOf(checkId(what.userId, 'userId'))}:`
    return this.port.deletePrefix(`${this.typePrefix(checkId(what.type, 'type'))}:${owner}`)
  }

  /** Hits and misses of every instance sharing the store, after this one's own flush. */
  async stats(): Promise<CacheStats> {
    await this.buffer.flush()
    const [hits = 0, misses = 0] = await this.metrics.get([this.statKey('hits'), this.statKey('misses')])
    const total = hits + misses
    return { hits, misses, hitRate: total === 0 ? 0 : hits / total }
  }

  /** Keys are `prefix:cache:type:owner:sha256`, owner `g` (global) or `u=<user>`. */
  private typePrefix(type: string): string {
    return `${this.base}:${encodeURIComponent(type)}`
  }

  private statKey(kind: 'hits' | 'misses' | 'bypassed'): string {
    return this.statKeys[kind]
  }

  private count(kind: 'hits' | 'misses' | 'bypassed'): void {
    this.buffer.count(this.statKey(kind), 1, STATS_TTL_MS)
  }

  /** Writes the counts gathered here (createSluice's close() does it). */
  close(): Promise<void> {
    return this.buffer.close()
  }
}

const ownerOf = (userId: string) => `u=${encodeURIComponent(userId)}`
