import type { z } from 'zod'
import type { CachePort } from '../store/cache-port'
import type { RateLimitPort } from '../store/rate-limit-port'
import { Emitter } from '../util/emitter'
import { BoundedMap } from '../util/lru'
import type { CapacityLimits, capacitySchema } from './capacity-schema'
import { TargetCapacity } from './target-capacity'

export type CapacitySettings = z.output<typeof capacitySchema>

export interface CapacityEvents extends Record<string, unknown> {
  /** The provider refused a pool key (401/403): it is taken out, the pool's other keys carry on. */
  'key:revoked': { provider: string; key: string; status: number }
}

/** One provider's (and model's) capacity as `stats()` shows it. */
export interface CapacityView {
  provider: string
  model: string
  /** The pool key (for a provider with `apiKeys`), and whether the provider refused it. */
  key?: string
  revoked?: boolean
  /** The limits in force (configured, else learned); absent ones are not paced. */
  limits: CapacityLimits
  /** Grants, and calls that had to wait, how long in all; refused: gave up at their deadline. */
  granted: number
  waited: number
  waitedMs: number
  refused: number
  /** 429s the provider sent (each one told the fleet the window is full). */
  upstream429: number
  inFlight: number
  waiting: number
  /** What the provider's last headers said is left in its window. */
  remainingRequests?: number
  remainingTokens?: number
}

/** The capacity of every provider and model this instance calls, made on first use. */
export class ProviderCapacity {
  private readonly targets = new BoundedMap<string, TargetCapacity>(1_000)
  private readonly writes = new Set<Promise<unknown>>()
  private readonly background = (write: Promise<unknown>) => {
    const kept = write.catch(() => {}).finally(() => this.writes.delete(kept))
    this.writes.add(kept)
  }

  constructor(
    readonly settings: CapacitySettings,
    private readonly deps: { rateLimit: RateLimitPort; cache: CachePort; prefix: string; leaseMs: number },
  ) {}

  readonly events = new Emitter<CapacityEvents>()

  for(provider: string, model: string, key?: string): TargetCapacity {
    const id = `${provider}\u0000${model}\u0000${key ?? ''}`
    let target = this.targets.get(id)
    if (!target) {
      const p = Object.hasOwn(this.settings.providers, provider)
        ? this.settings.providers[provider]
        : undefined
      const { models, ...limits } = p ?? {}
      const own = models && Object.hasOwn(models, model) ? models[model] : undefined
      target = new TargetCapacity(
        provider,
        model,
        key,
        { ...limits, ...own },
        {
          ...this.deps,
          background: this.background,
          windowMs: this.settings.window,
          burst: this.settings.burst,
          // The whole priority range (1–10) spans about the longest wait: a higher priority goes
          // first, and a low one catches up with fresh calls of the highest before its deadline.
          agingMs: Math.max(1, this.settings.maxWait / 10),
          leaseMs: this.settings.lease ?? this.deps.leaseMs,
          now: Date.now,
        },
      )
      this.targets.set(id, target)
    }
    return target
  }

  /** Waits for the writes still under way (slots given back, what was learned). */
  async close(): Promise<void> {
    await Promise.all(this.writes)
  }

  views(): CapacityView[] {
    return [...this.targets.entries()].map(([, t]) => ({
      provider: t.provider,
      model: t.model,
      ...(t.key !== undefined ? { key: t.key, revoked: t.revoked } : {}),
      limits: t.limits,
      ...t.stats,
      waiting: t.line.waiting,
    }))
  }
}
