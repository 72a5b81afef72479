import { parseWith } from '../config/parse-options'
import { SluiceError } from '../errors/sluice-error'
import type { CachePort } from '../store/cache-port'
import { Emitter } from '../util/emitter'
import { keyOf } from '../util/keys'
import { BoundedMap } from '../util/lru'
import {
  type OverrideEvent,
  type OverrideInput,
  type OverrideTarget,
  overrideOptionsSchema,
  overrideSchema,
  overrideTargetSchema,
  type StoredOverride,
} from './override-schema'

export interface OverridesOptions {
  cache: CachePort
  prefix: string
  /** How stale an instance's copy may be: every instance applies a change within this. */
  refreshMs: number
  now: () => number
  /** The configured tiers: an override's tier must be one of them. */
  tiers: readonly string[]
}

interface Seen {
  value: StoredOverride | undefined
  readAt: number
  reading?: Promise<StoredOverride | undefined>
}

/**
 * Run-time overrides of a user's or group's tier, limits, budget or access, held in the store's
 * cache port so every instance applies them (each reads a target's again once its copy is
 * `refreshMs` old), each with an expiry, audited by `override:set` / `override:cleared`.
 */
export class Overrides {
  readonly events = new Emitter<{ 'override:set': OverrideEvent; 'override:cleared': OverrideEvent }>()
  private readonly seen = new BoundedMap<string, Seen>(10_000)

  constructor(private readonly o: OverridesOptions) {}

  /** Sets (replaces) the target's override for `ttl`; every instance applies it within `refreshMs`. */
  async set(
    targetInput: OverrideTarget,
    input: OverrideInput,
    options: { ttl: string | number; by?: string },
  ): Promise<StoredOverride> {
    const target = parseWith(overrideTargetSchema, targetInput, 'invalid_request', 'target')
    const override = parseWith(overrideSchema, input, 'invalid_request', 'override')
    const { ttl, by } = parseWith(overrideOptionsSchema, options, 'invalid_request', 'options')
    if (override.tier !== undefined && !this.o.tiers.includes(override.tier)) {
      throw new SluiceError('invalid_request', `override.tier: unknown tier '${override.tier}'`, {
        path: 'override.tier',
      })
    }
    if ('group' in target && (override.tier !== undefined || override.limits !== undefined)) {
      throw new SluiceError('invalid_request', 'override: a group override sets budget or blocked only', {
        path: override.tier !== undefined ? 'override.tier' : 'override.limits',
      })
    }
    const now = this.o.now()
    const stored: StoredOverride = { ...override, setAt: now, expiresAt: now + ttl, ...(by ? { by } : {}) }
    await this.o.cache.set(this.keyOf(target), JSON.stringify(stored), ttl)
    this.seen.set(this.keyOf(target), { value: stored, readAt: now })
    this.events.emit('override:set', { target, override: stored, ...(by ? { by } : {}) })
    return stored
  }

  /** The target's override as the store holds it now (undefined when none, or expired). */
  async get(targetInput: OverrideTarget): Promise<StoredOverride | undefined> {
    const target = parseWith(overrideTargetSchema, targetInput, 'invalid_request', 'target')
    return this.read(this.keyOf(target))
  }

  async clear(targetInput: OverrideTarget, options: { by?: string } = {}): Promise<void> {
    const target = parseWith(overrideTargetSchema, targetInput, 'invalid_request', 'target')
    await this.o.cache.delete(this.keyOf(target))
    this.seen.set(this.keyOf(target), { value: undefined, readAt: this.o.now() })
    this.events.emit('override:cleared', { target, ...(options.by ? { by: options.by } : {}) })
  }

  /** What applies to a call now: this instance's copy, read again from the store once it is `refreshMs` old. */
  async forCall(target: OverrideTarget): Promise<StoredOverride | undefined> {
    const key = this.keyOf(target)
    const now = this.o.now()
    const seen = this.seen.get(key)
    if (seen && now - seen.readAt < this.o.refreshMs) return live(seen.value, now)
    if (seen?.reading) return seen.reading
    const reading = this.read(key).then(
      (value) => {
        this.seen.set(key, { value, readAt: this.o.now() })
        return value
      },
      () => live(seen?.value, this.o.now()), // the store cannot say: the last copy stands
    )
    this.seen.set(key, { value: seen?.value, readAt: seen?.readAt ?? 0, reading })
    return reading
  }

  private async read(key: string): Promise<StoredOverride | undefined> {
    const raw = await this.o.cache.get(key)
    return live(raw === undefined ? undefined : (JSON.parse(raw) as StoredOverride), this.o.now())
  }

  private keyOf(target: OverrideTarget): string {
    return 'userId' in target
      ? keyOf(this.o.prefix, 'override', 'user', target.userId)
      : keyOf(this.o.prefix, 'override', 'group', target.group)
  }
}

const live = (o: StoredOverride | undefined, now: number) => (o && o.expiresAt > now ? o : undefined)
