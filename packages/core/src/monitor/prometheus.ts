import type { Stats } from './monitor'

function line(name: string, help: string, type: 'gauge' | 'counter', samples: [string, number][]): string {
  const rows = samples.map(([labels, v]) => `${name}${labels} ${Number.isFinite(v) ? v : 0}`)
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${rows.join('\n')}\n`
}

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

/** Prometheus text exposition (format 0.0.4) of Monitor.stats(). */
export function toPrometheus(s: Stats): string {
  return [
    line('sluice_active_users', 'Distinct users seen in the last 5 minutes', 'gauge', [['', s.activeUsers]]),
    line('sluice_requests_per_minute', 'Requests in the last minute', 'gauge', [['', s.requestsPerMinute]]),
    line('sluice_requests_total', 'Requests since the counters started', 'counter', [['', s.requestsTotal]]),
    line(
      'sluice_errors_total',
      'Failed requests by code',
      'counter',
      Object.entries(s.errorsByCode).map(([c, n]) => [`{code="${esc(c)}"}`, n]),
    ),
    line('sluice_latency_ms', 'Request latency percentiles in this instance', 'gauge', [
      ['{quantile="0.5"}', s.latencyMs.p50],
      ['{quantile="0.95"}', s.latencyMs.p95],
      ['{quantile="0.99"}', s.latencyMs.p99],
    ]),
    line('sluice_cache_hit_ratio', 'Cache hits over lookups', 'gauge', [['', s.cache.hitRate]]),
    line('sluice_error_ratio', 'Errors over requests in the last minute', 'gauge', [['', s.errorRate]]),
    line('sluice_queue_depth', 'Pending queue jobs', 'gauge', [['', s.queueDepth]]),
    line(
      'sluice_breaker_open',
      'Circuit state per provider (1 open, 0.5 half-open, 0 closed)',
      'gauge',
      Object.entries(s.breakers).map(([p, st]) => [
        `{provider="${esc(p)}"}`,
        st === 'open' ? 1 : st === 'half-open' ? 0.5 : 0,
      ]),
    ),
    line('sluice_spend_today_usd', 'USD spent today', 'gauge', [['', s.spendTodayUsd]]),
    line('sluice_metrics_dropped_total', 'Metric increments this instance could not write', 'counter', [
      ['', s.metricsDropped],
    ]),
  ].join('')
}
