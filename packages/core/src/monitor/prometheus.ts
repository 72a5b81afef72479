import { capacityFamilies } from './capacity-families'
import type { Stats } from './monitor'
import { SAVED_BY } from './savings'

type Sample = [labels: string, value: number]

function family(name: string, help: string, type: 'gauge' | 'counter', samples: Sample[]): string {
  const rows = samples.map(([labels, v]) => `${name}${labels} ${Number.isFinite(v) ? v : 0}`)
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${rows.join('\n')}\n`
}

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

/**
 * Prometheus text exposition (format 0.0.4) of Monitor.stats(), named as Prometheus asks: base
 * units (seconds), `_total` on counters, `_ratio` on fractions.
 */
export function toPrometheus(s: Stats): string {
  const seconds = (ms: number) => ms / 1000
  return [
    family('sluice_active_users', 'Distinct users seen in the last 5 minutes', 'gauge', [
      ['', s.activeUsers],
    ]),
    family('sluice_requests_per_minute', 'Requests in the last minute', 'gauge', [['', s.requestsPerMinute]]),
    family('sluice_requests_total', 'Requests since the counters started', 'counter', [
      ['', s.requestsTotal],
    ]),
    family(
      'sluice_errors_total',
      'Failed requests by code',
      'counter',
      Object.entries(s.errorsByCode).map(([c, n]) => [`{code="${esc(c)}"}`, n]),
    ),
    family('sluice_request_latency_seconds', 'Request latency percentiles in this instance', 'gauge', [
      ['{quantile="0.5"}', seconds(s.latencyMs.p50)],
      ['{quantile="0.95"}', seconds(s.latencyMs.p95)],
      ['{quantile="0.99"}', seconds(s.latencyMs.p99)],
    ]),
    family('sluice_cache_hit_ratio', 'Cache hits over lookups', 'gauge', [['', s.cache.hitRate]]),
    family('sluice_error_ratio', 'Errors over requests in the last minute', 'gauge', [['', s.errorRate]]),
    family('sluice_queue_pending_jobs', 'Pending queue jobs', 'gauge', [['', s.queueDepth]]),
    family(
      'sluice_queue_wait_seconds',
      'How long queued calls waited for a worker, in this instance',
      'gauge',
      [
        ['{quantile="0.5"}', seconds(s.queueWaitMs.p50)],
        ['{quantile="0.95"}', seconds(s.queueWaitMs.p95)],
      ],
    ),
    family(
      'sluice_breaker_open',
      'Circuit state per provider (1 open, 0.5 half-open, 0 closed)',
      'gauge',
      Object.entries(s.breakers).map(([p, st]) => [
        `{provider="${esc(p)}"}`,
        st === 'open' ? 1 : st === 'half-open' ? 0.5 : 0,
      ]),
    ),
    family('sluice_spend_today_usd', 'USD spent today', 'gauge', [['', s.spendTodayUsd]]),
    family(
      'sluice_saved_calls_total',
      'Upstream calls avoided, by what avoided them (cache, coalesce, batch)',
      'counter',
      SAVED_BY.map((by) => [`{by="${by}"}`, s.saved.by[by].calls]),
    ),
    family(
      'sluice_saved_usd_total',
      'USD the avoided calls would have cost, by what avoided them',
      'counter',
      SAVED_BY.map((by) => [`{by="${by}"}`, s.saved.by[by].usd]),
    ),
    family('sluice_metrics_dropped_total', 'Metric increments this instance could not write', 'counter', [
      ['', s.metricsDropped],
    ]),
    ...capacityFamilies(s.capacity, family, esc),
  ].join('')
}
