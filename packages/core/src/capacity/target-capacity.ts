import type { CachePort } from '../store/cache-port'
import type { RateLimitItem, RateLimitPort } from '../store/rate-limit-port'
import { randomId } from '../util/hash'
import { sleep } from '../util/sleep'
import { capacityCounters } from './capacity-counters'
import { capacityExceeded, keyRevoked } from './capacity-error'
import { capacityKeys } from './capacity-keys'
import type { CapacityLimits } from './capacity-schema'
import { fullForMs, observedLimits } from './observed-limits'
import { type Slot, takeSlot } from './slots'
import { untilTurn } from './until-turn'
import { WaitingLine } from './waiting-line'

export interface CapacityDeps {
  rateLimit: RateLimitPort
  cache: CachePort
  /** Keeps a write that nobody awaits (a slot given back, a lesson told), so `close()` can. */
  background: (write: Promise<unknown>) => void
  prefix: string
  windowMs: number
  /** The share of a limit that may go at once before calls are paced at the window's rate. */
  burst: number
  leaseMs: number
  /** Priority points a waiting caller gains per this long. */
  agingMs: number
  now: () => number
}

/** What one attempt asks for: its tokens (prompt and output bound), its place, how long it may wait. */
export interface CapacityNeed {
  tokens: number
  priority: number
  /** Whose call: a user's calls waiting together take turns with other users' (as queued jobs do). */
  user?: string
  /** Told when the call starts waiting (true: behind others, or for the window) and when it stops. */
  onWait?: (waiting: boolean) => void
  deadline: number
  signal?: AbortSignal
}

/** What an attempt holds while it is upstream. */
export interface CapacityGrant {
  /** What the provider's response headers said (limits, what remains); what remains, returned. */
  observe(headers: Headers): { remainingRequests?: number; remainingTokens?: number } | undefined
  /** The attempt is over: its concurrency slot (or the right to learn) goes back. */
  release(answered: boolean): void
}

/** What the fleet learned of a provider's limits; `silent`: it sends none, so nothing is paced. */
interface Learned {
  rpm?: number
  tpm?: number
  silent?: boolean
}

const LEARNED_TTL_MS = 3_600_000
const REFRESH_MS = 2_000
const SLOT_POLL_MS = 50
const LEARNER_POLL_MS = 50
/**
 * Held past a provider's reset: its reset headers are rounded (Groq's to 10 ms), and a burst that
 * reaches it a few ms early meets the old, full window.
 */
const RESET_MARGIN_MS = 25

/**
 * The capacity of one provider (and model) for the whole fleet: requests and tokens per window
 * as sliding logs in the store's rate-limit port (no stretch of a window's length ever holds more
 * than the limit, so neither does the provider's window, wherever it starts), requests in flight as leased slots
 * in its cache port (a dead instance's slots free themselves when their lease ends), what the
 * provider's headers taught (its limits; that it is full until a reset) in the cache port for
 * every instance. The callers of this process wait in one line, in priority order.
 */
export class TargetCapacity {
  readonly line: WaitingLine
  readonly stats = {
    granted: 0,
    waited: 0,
    waitedMs: 0,
    refused: 0,
    upstream429: 0,
    inFlight: 0,
    remainingRequests: undefined as number | undefined,
    remainingTokens: undefined as number | undefined,
  }
  private learned: Learned | undefined
  /** The provider refused this pool key (here or on another instance). */
  revoked = false
  /** Share of its window left (0..1) when last seen: a pool sends with the key that has most. */
  room = 1
  private readAt = Number.NEGATIVE_INFINITY
  private fullUntil = 0
  private readonly keys: ReturnType<typeof capacityKeys>
  private readonly configuredAny: boolean

  constructor(
    readonly provider: string,
    readonly model: string,
    /** The pool key it is the capacity of; undefined for a provider with one key. */
    readonly key: string | undefined,
    private readonly configured: CapacityLimits,
    private readonly d: CapacityDeps,
  ) {
    this.keys = capacityKeys(d.prefix, provider, model, key)
    this.line = new WaitingLine(d.agingMs)
    this.configuredAny = Object.values(configured).some((v) => v !== undefined)
  }

  /** The limits in force: configured ones first, then what was learned. */
  get limits(): CapacityLimits {
    const rpm = this.configured.rpm ?? this.learned?.rpm
    const tpm = this.configured.tpm ?? this.learned?.tpm
    const { concurrency } = this.configured
    return {
      ...(rpm !== undefined ? { rpm } : {}),
      ...(tpm !== undefined ? { tpm } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
    }
  }

  /** Waits (in this process's line, up to the deadline) for capacity; `capacity_exceeded` past it. */
  async take(need: CapacityNeed): Promise<CapacityGrant> {
    await this.refresh()
    if (this.unpaced()) return this.grant()
    const started = this.d.now()
    const ticket = this.line.join(need.priority, started, need.user)
    let waited = false
    let told = false // onWait heard that it waits
    const waiting = () => {
      if (!told) need.onWait?.(true)
      told = true
    }
    if (this.line.waiting > 1) waiting() // others are ahead of it
    try {
      for (let turn = await untilTurn(ticket, need.deadline - started, need.signal); ; ) {
        // Refused while this call waited: it goes with another key of the pool instead.
        if (this.revoked) throw keyRevoked(this.provider, this.key)
        const wait = turn ? await this.tryTake(need) : need.deadline - this.d.now() + 1
        if (typeof wait !== 'number') return wait
        const now = this.d.now()
        if (now + wait > need.deadline) {
          this.stats.refused++
          throw capacityExceeded(this.provider, this.model, wait, now - started)
        }
        waiting()
        waited = true
        await sleep(wait, need.signal)
        turn = true
      }
    } finally {
      this.line.leave(ticket)
      if (told) need.onWait?.(false)
      if (waited) {
        this.stats.waited++
        this.stats.waitedMs += this.d.now() - started
      }
    }
  }

  /** The provider refused for capacity (a 429): full for the fleet until its Retry-After. */
  rejected(retryAfterMs: number | undefined): void {
    this.stats.upstream429++
    this.markFull(retryAfterMs ?? 1_000)
  }

  /** The provider refused this pool key: the fleet stops sending with it (for an hour). */
  revoke(): void {
    this.revoked = true
    this.d.background(this.d.cache.set(this.keys.revoked, '1', LEARNED_TTL_MS))
  }

  /** Nothing configured, and the fleet learned the provider sends no limits: nothing to pace. */
  private unpaced(): boolean {
    return !this.configuredAny && this.learned?.silent === true && this.fullUntil <= this.d.now()
  }

  /** A grant, or how long to wait before asking again. */
  private async tryTake(need: CapacityNeed): Promise<CapacityGrant | number> {
    try {
      const full = Number((await this.d.cache.get(this.keys.full)) ?? 0)
      const now = this.d.now()
      this.fullUntil = Math.max(this.fullUntil, full)
      if (this.fullUntil > now) return this.fullUntil - now
      const { rpm, tpm, concurrency } = this.limits
      if (!this.configuredAny && rpm === undefined && tpm === undefined && !this.learned?.silent) {
        // Nothing known yet: one attempt for the whole fleet learns the limits from its headers.
        const token = randomId()
        if (await this.d.cache.setIfAbsent(this.keys.learning, token, this.d.leaseMs))
          return this.grant(undefined, token, need.tokens)
        this.readAt = Number.NEGATIVE_INFINITY // read what the learner found, next time round
        await this.refresh()
        return this.learned ? 0 : LEARNER_POLL_MS
      }
      const slot = concurrency
        ? await takeSlot(this.d.cache, this.keys.slot, concurrency, this.d.leaseMs)
        : undefined
      if (concurrency && !slot) return SLOT_POLL_MS
      const items = this.counters({ rpm, tpm }, need.tokens)
      if (items.length > 0) {
        const decisions = await this.d.rateLimit.consumeAll(items)
        // What is left of the windows (the logs; the pacing buckets come after each).
        const logs = decisions.filter((_, i) => i % 2 === 0)
        this.room = Math.min(...logs.map((x) => x.remaining / Math.max(1, x.limit)))
        if (!decisions.every((x) => x.allowed)) {
          if (slot) this.freeSlot(slot)
          return Math.max(1, ...decisions.map((x) => x.retryAfterMs))
        }
      }
      return this.grant(slot)
    } catch {
      return this.grant() // the store cannot say: the call goes (a provider's 429 still teaches)
    }
  }

  private counters(limits: Learned, tokens: number): RateLimitItem[] {
    return capacityCounters(this.keys, limits, tokens, this.d)
  }

  private grant(slot?: Slot, learning?: string, tokens = 0): CapacityGrant {
    this.stats.granted++
    this.stats.inFlight++
    let lesson: Promise<unknown> | undefined
    let done = false
    return {
      observe: (headers) => {
        lesson ??= this.observe(headers, learning !== undefined ? tokens : undefined)
        const { remainingRequests, remainingTokens } = this.stats
        return {
          ...(remainingRequests !== undefined ? { remainingRequests } : {}),
          ...(remainingTokens !== undefined ? { remainingTokens } : {}),
        }
      },
      release: (answered) => {
        if (done) return
        done = true
        this.stats.inFlight--
        if (slot) this.freeSlot(slot)
        if (learning === undefined) return
        // An answer without limit headers: this provider sends none (a failure teaches nothing).
        if (answered && !lesson) this.learn({ silent: true })
        // The right to learn goes back once the lesson is out, so nobody learns it twice.
        const told = lesson ?? Promise.resolve()
        this.d.background(told.then(() => this.d.cache.deleteIf(this.keys.learning, learning)))
      },
    }
  }

  /**
   * Learns from a response's headers; undefined when they say nothing of limits. For the attempt
   * that learned them (`learnerTokens`), its own request is counted before the lesson is told,
   * so the calls that were waiting for it leave room for it.
   */
  private observe(headers: Headers, learnerTokens?: number): Promise<unknown> | undefined {
    const o = observedLimits(headers)
    if (!o) return undefined
    if (o.remainingRequests !== undefined) this.stats.remainingRequests = o.remainingRequests
    if (o.remainingTokens !== undefined) this.stats.remainingTokens = o.remainingTokens
    if (o.rpm && o.remainingRequests !== undefined) this.room = Math.min(1, o.remainingRequests / o.rpm)
    const rpm = o.rpm ?? this.learned?.rpm
    const tpm = o.tpm ?? this.learned?.tpm
    const learned: Learned = { ...(rpm !== undefined ? { rpm } : {}), ...(tpm !== undefined ? { tpm } : {}) }
    let told: Promise<unknown> = Promise.resolve()
    if (learnerTokens !== undefined)
      told = this.countLearner(learned, learnerTokens).then(() => this.learn(learned))
    else if (rpm !== this.learned?.rpm || tpm !== this.learned?.tpm) this.learn(learned)
    const fullMs = fullForMs(o)
    if (fullMs > 0) this.markFull(fullMs)
    // What is left is already taken by this process's other attempts in flight: full until the reset.
    else if (o.remainingRequests !== undefined && o.remainingRequests < this.stats.inFlight)
      this.markFull(o.resetRequestsMs ?? 1_000)
    return told
  }

  private countLearner(learned: Learned, tokens: number): Promise<unknown> {
    const items = this.counters(learned, tokens)
    return items.length > 0 ? this.d.rateLimit.consumeAll(items).catch(() => {}) : Promise.resolve()
  }

  private learn(learned: Learned): void {
    this.learned = learned
    this.d.background(this.d.cache.set(this.keys.learned, JSON.stringify(learned), LEARNED_TTL_MS))
  }

  private markFull(ms: number): void {
    const until = this.d.now() + ms + RESET_MARGIN_MS
    if (until <= this.fullUntil) return
    this.fullUntil = until
    this.d.background(this.d.cache.set(this.keys.full, String(until), ms))
  }

  /** What the fleet learned, read again every couple of seconds. */
  private async refresh(): Promise<void> {
    const now = this.d.now()
    if (now - this.readAt < REFRESH_MS) return
    this.readAt = now
    try {
      const [learned, full, revoked] = await Promise.all([
        this.d.cache.get(this.keys.learned),
        this.d.cache.get(this.keys.full),
        this.key === undefined ? undefined : this.d.cache.get(this.keys.revoked),
      ])
      if (learned !== undefined) this.learned = JSON.parse(learned) as Learned
      if (revoked !== undefined) this.revoked = true
      this.fullUntil = Math.max(this.fullUntil, Number(full ?? 0))
    } catch {
      // the store cannot say: what this process knows stands
    }
  }

  private freeSlot(slot: Slot): void {
    this.d.background(this.d.cache.deleteIf(slot.key, slot.token))
  }
}
