import type { CacheService, CacheStats } from '../cache/cache-service'
import type { CostTracker } from '../cost/cost-tracker'
import type { QueueClient } from '../queue/queue-client'
import type { MetricsPort } from '../store/metrics-port'
import { keyOf } from '../util/keys'
import { SampleRing } from './percentiles'
import { toPrometheus } from './prometheus'

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
  breakers: Record<string, string>
  spendTodayUsd: number
}

export interface MonitorSources {
  metrics: MetricsPort
  prefix?: string
  cache?: CacheService
  queue?: QueueClient
  cost?: CostTracker
  breakers?: () => Record<string, string>
  now?: () => number
}

/** Live numbers: counters shared through the store's metrics port, latency percentiles per instance. */
export class Monitor {
  private readonly latency = new SampleRing()
  private readonly codes = new Set<string>()
  private readonly now: () => number

  constructor(private readonly s: MonitorSources) {
    this.now = s.now ?? Date.now
    this.base = keyOf(s.prefix ?? 'sluice', 'm')
    this.keys = { active: this.key('active'), total: this.key('req_total') }
  }

  private readonly base: string
  private readonly keys: { active: string; total: string }

  /** Counts a request and its user as active. */
  async begin(userId: string): Promise<void> {
    const minute = Math.floor(this.now() / MINUTE)
    await Promise.all([
      this.s.metrics.addToSet(this.keys.active, userId, ACTIVE_WINDOW),
      this.s.metrics.incr(this.perMinute('req', minute), 1, 2 * MINUTE + 1000),
      this.s.metrics.incr(this.keys.total, 1, TOTAL_TTL),
    ])
  }

  /** Records latency and, for a failure, its error code. */
  async end(latencyMs: number, errorCode?: string): Promise<void> {
    this.latency.add(latencyMs)
    if (!errorCode) return
    this.codes.add(errorCode)
    const minute = Math.floor(this.now() / MINUTE)
    await Promise.all([
      this.s.metrics.incr(this.perMinute('err', minute), 1, 2 * MINUTE + 1000),
      this.s.metrics.incr(this.key('err_total', errorCode), 1, TOTAL_TTL),
    ])
  }

  async stats(): Promise<Stats> {
    const t = this.now()
    const minute = Math.floor(t / MINUTE)
    const weight = 1 - (t % MINUTE) / MINUTE
    const codes = [...this.codes]
    const [reqNow = 0, reqPrev = 0, errNow = 0, errPrev = 0, total = 0, ...errTotals] =
      await this.s.metrics.get([
        this.perMinute('req', minute),
        this.perMinute('req', minute - 1),
        this.perMinute('err', minute),
        this.perMinute('err', minute - 1),
        this.keys.total,
        ...codes.map((c) => this.key('err_total', c)),
      ])
    const rpm = reqNow + reqPrev * weight
    const epm = errNow + errPrev * weight
    const [activeUsers, cache, counts, spend] = await Promise.all([
      this.s.metrics.countSet(this.keys.active),
      this.s.cache?.stats() ?? { hits: 0, misses: 0, hitRate: 0 },
      this.s.queue?.counts(),
      this.s.cost?.report({ since: Math.floor(t / 86_400_000) * 86_400_000 }),
    ])
    return {
      activeUsers,
      requestsPerMinute: Math.round(rpm),
      requestsTotal: total,
      errorsByCode: Object.fromEntries(codes.map((c, i) => [c, errTotals[i] ?? 0])),
      errorRate: rpm === 0 ? 0 : Math.min(1, epm / rpm),
      latencyMs: {
        p50: this.latency.percentile(50),
        p95: this.latency.percentile(95),
        p99: this.latency.percentile(99),
      },
      cache,
      queueDepth: counts?.pending ?? 0,
      breakers: this.s.breakers?.() ?? {},
      spendTodayUsd: spend?.totalUsd ?? 0,
    }
  }

  async prometheus(): Promise<string> {
    return toPrometheus(await this.stats())
  }

  /** Counters per clock minute (requests, errors), for requests/min and error rate. */
  private perMinute(kind: 'req' | 'err', minute: number): string {
    return `${this.base}:${kind}:${minute}`
  }

  private key(...parts: string[]): string {
    return `${this.base}:${keyOf(...parts)}`
  }
}
