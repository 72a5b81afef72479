import type { CacheService, CacheStats } from '../cache/cache-service'
import type { CapacityView } from '../capacity/provider-capacity'
import type { CostTracker } from '../cost/cost-tracker'
import { ERROR_CODES } from '../errors/codes'
import type { QueueClient } from '../queue/queue-client'
import type { MetricsPort } from '../store/metrics-port'
import { keyOf } from '../util/keys'
import { MetricsBuffer } from './metrics-buffer'
import { SampleRing } from './percentiles'
import { toPrometheus } from './prometheus'
import { SAVED_BY, type SavedBy, type Savings, toSavings } from './savings'

const MINUTE = 60_000
const ACTIVE_WINDOW = 5 * MINUTE
const TOTAL_TTL = 30 * 86_400_000

export interface Stats {
  activeUsers: number
  requestsPerMinute: number
  requestsTotal: number
  errorsByCode: Record<string, number>
  /** Errors over requests in the last minute, 0..1. */
  errorRate: number
  latencyMs: { p50: number; p95: number; p99: number }
  cache: CacheStats
  queueDepth: number
  /** Queue jobs running now. */
  queueRunning: number
  /** How long queued calls waited for a worker, in this instance (0 without queued calls). */
  queueWaitMs: { p50: number; p95: number }
  breakers: Record<string, string>
  spendTodayUsd: number
  /** Today's spend per tier. */
  spendTodayByTier: Record<string, number>
  /** Today's spend per endpoint. */
  spendTodayByEndpoint: Record<string, number>
  /** Today's requests the cache answered, over all of today's, 0..1. */
  cachedShareToday: number
  /**
   * Upstream calls that cache hits, coalescing and batching avoided since the counters started
   * (30 days), and what they would have cost, fleet-wide on a shared store.
   */
  saved: Savings
  /** Metric increments this instance could not write to the store (it was down). */
  metricsDropped: number
  /**
   * Each provider's (and model's) capacity as this instance sees it: the limits in force
   * (configured or learned), calls granted, waits and their time, refusals, 429s received, what
   * the provider says is left.
   */
  capacity: CapacityView[]
}

export interface MonitorSources {
  metrics: MetricsPort
  /** Where writes gather before a flush; one is made when none is given. */
  buffer?: MetricsBuffer
  prefix?: string
  cache?: CacheService
  queue?: QueueClient
  cost?: CostTracker
  breakers?: () => Record<string, string>
  capacity?: () => CapacityView[]
  now?: () => number
}

/**
 * Live numbers: counters shared through the store's metrics port (written off the response
 * path, flushed every second and on close), latency percentiles per instance.
 */
export class Monitor {
  private readonly latency = new SampleRing()
  private readonly queueWait = new SampleRing(512)
  private readonly codes = new Set<string>()
  private readonly now: () => number
  readonly buffer: MetricsBuffer

  constructor(private readonly s: MonitorSources) {
    this.now = s.now ?? Date.now
    this.base = keyOf(s.prefix ?? 'sluice', 'm')
    this.total = `${this.base}:${keyOf('req_total')}`
    this.buffer = s.buffer ?? new MetricsBuffer(s.metrics)
  }

  private readonly base: string
  private readonly total: string

  /** Counts a request and its user as active (buffered: no store call on the response path). */
  begin(userId: string): void {
    const minute = Math.floor(this.now() / MINUTE)
    this.buffer.add(this.perMinute('active', minute), userId, ACTIVE_WINDOW + MINUTE)
    this.buffer.count(this.perMinute('req', minute), 1, 2 * MINUTE + 1000)
    this.buffer.count(this.total, 1, TOTAL_TTL)
  }

  /** Records latency and, for a failure, its error code. */
  end(latencyMs: number, errorCode?: string): void {
    this.latency.add(latencyMs)
    if (!errorCode) return
    this.codes.add(errorCode)
    const minute = Math.floor(this.now() / MINUTE)
    this.buffer.count(this.perMinute('err', minute), 1, 2 * MINUTE + 1000)
    this.buffer.count(this.key('err_total', errorCode), 1, TOTAL_TTL)
  }

  /** Records how long a queued call waited for a worker. */
  queued(waitMs: number): void {
    this.queueWait.add(waitMs)
  }

  /** Counts upstream calls something avoided and what they would have cost (buffered). */
  saved(by: SavedBy, calls: number, usd: number): void {
    if (calls > 0) this.buffer.count(this.key('saved_calls', by), calls, TOTAL_TTL)
    if (usd > 0) this.buffer.count(this.key('saved_usd', by), usd, TOTAL_TTL)
  }

  /** Writes what this instance has gathered; stats() does it first. */
  flush(): Promise<void> {
    return this.buffer.flush()
  }

  close(): Promise<void> {
    return this.buffer.close()
  }

  /** The fleet's numbers as the store has them, after this instance's own flush. */
  async stats(): Promise<Stats> {
    await this.flush()
    const t = this.now()
    const minute = Math.floor(t / MINUTE)
    const weight = 1 - (t % MINUTE) / MINUTE
    // Every code any instance may have counted, not only the ones this instance saw.
    const codes = [...new Set([...ERROR_CODES, 'internal', ...this.codes])]
    const savedKeys = SAVED_BY.flatMap((by) => [this.key('saved_calls', by), this.key('saved_usd', by)])
    const [reqNow = 0, reqPrev = 0, errNow = 0, errPrev = 0, total = 0, ...rest] = await this.s.metrics.get([
      this.perMinute('req', minute),
      this.perMinute('req', minute - 1),
      this.perMinute('err', minute),
      this.perMinute('err', minute - 1),
      this.total,
      ...savedKeys,
      ...codes.map((c) => this.key('err_total', c)),
    ])
    const saved = toSavings(rest.slice(0, savedKeys.length))
    const errTotals = rest.slice(savedKeys.length)
    const rpm = reqNow + reqPrev * weight
    const epm = errNow + errPrev * weight
    const [activeUsers, cache, counts, spend] = await Promise.all([
      this.s.metrics.countDistinct(
        Array.from({ length: ACTIVE_WINDOW / MINUTE }, (_, i) => this.perMinute('active', minute - i)),
      ),
      this.s.cache?.stats() ?? { hits: 0, misses: 0, hitRate: 0 },
      this.s.queue?.counts(),
      this.s.cost?.today(),
    ])
    return {
      activeUsers,
      requestsPerMinute: Math.round(rpm),
      requestsTotal: total,
      errorsByCode: Object.fromEntries(
        codes.flatMap((c, i) => ((errTotals[i] ?? 0) > 0 ? [[c, errTotals[i] ?? 0]] : [])),
      ),
      errorRate: rpm === 0 ? 0 : Math.min(1, epm / rpm),
      latencyMs: {
        p50: this.latency.percentile(50),
        p95: this.latency.percentile(95),
        p99: this.latency.percentile(99),
      },
      cache,
      queueDepth: counts?.pending ?? 0,
      queueRunning: counts?.active ?? 0,
      queueWaitMs: { p50: this.queueWait.percentile(50), p95: this.queueWait.percentile(95) },
      breakers: this.s.breakers?.() ?? {},
      spendTodayUsd: spend?.usd ?? 0,
      spendTodayByTier: spend?.byTier ?? {},
      spendTodayByEndpoint: spend?.byEndpoint ?? {},
      cachedShareToday: spend && spend.requests > 0 ? spend.cachedRequests / spend.requests : 0,
      saved,
      metricsDropped: this.buffer.dropped,
      capacity: this.s.capacity?.() ?? [],
    }
  }

  async prometheus(): Promise<string> {
    return toPrometheus(await this.stats())
  }

  /** Counters and sets per clock minute (requests, errors, active users). */
  private perMinute(kind: 'req' | 'err' | 'active', minute: number): string {
    return `${this.base}:${kind}:${minute}`
  }

  // Metric names come from small fixed sets (how a call was saved, error codes): built once each.
  private readonly keys = new Map<string, string>()

  private key(kind: string, name: string): string {
    const id = `${kind}\u0000${name}`
    let key = this.keys.get(id)
    if (key === undefined) {
      key = `${this.base}:${keyOf(kind, name)}`
      if (this.keys.size < 1_000) this.keys.set(id, key)
    }
    return key
  }
}
